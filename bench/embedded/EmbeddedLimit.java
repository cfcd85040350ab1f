/*
 * Issue 17, target 6: the physical limit. The merges of bench part 2's server-side loops (the batch writer's planned
 * batches: deletes, then one mergeV over the batch's vertex rows, then its mergeE rows, per-element or linked) run in
 * this JVM on an in-memory TinkerGraph through the Java traversal API: no Gremlin Server, no script engine, no
 * network, no serialization. Compiled and started by bench/suite/server-limit.ts on the class path of the stack's
 * Gremlin Server (its jars come from Maven Central, stack/lib/assemble.js):
 *   java -cp '<stack>/gremlin/lib/*:<classes>' EmbeddedLimit <batches.json> <indexed keys, comma-separated> <rounds>
 * Prints one JSON line per plan and round: {"plan", "round", "loopMs", "cpuMs", "v", "e"} (the merges only; cpuMs:
 * this thread's CPU time, which other load on a shared machine disturbs far less than the wall time).
 */
import groovy.json.JsonSlurper;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.tinkerpop.gremlin.process.traversal.Merge;
import org.apache.tinkerpop.gremlin.process.traversal.Traversal;
import org.apache.tinkerpop.gremlin.process.traversal.dsl.graph.GraphTraversal;
import org.apache.tinkerpop.gremlin.process.traversal.dsl.graph.GraphTraversalSource;
import org.apache.tinkerpop.gremlin.process.traversal.dsl.graph.__;
import org.apache.tinkerpop.gremlin.structure.Direction;
import org.apache.tinkerpop.gremlin.structure.T;
import org.apache.tinkerpop.gremlin.structure.Vertex;
import org.apache.tinkerpop.gremlin.tinkergraph.structure.TinkerGraph;

@SuppressWarnings({"unchecked", "rawtypes"})
public class EmbeddedLimit {
  /** JsonSlurper's lazy maps and BigDecimals → plain maps and doubles, as GraphBinary hands them to the server. */
  static Object plain(Object o) {
    if (o instanceof Map<?, ?> m) {
      Map<Object, Object> out = new LinkedHashMap<>();
      m.forEach((k, v) -> out.put(k, plain(v)));
      return out;
    }
    if (o instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      for (Object x : l) out.add(plain(x));
      return out;
    }
    if (o instanceof BigDecimal d) return d.doubleValue();
    return o;
  }

  static Map<Object, Object> ref(Object label, Object key, Object value) {
    Map<Object, Object> r = new LinkedHashMap<>();
    r.put(T.label, label);
    r.put(key, value);
    return r;
  }

  static String id(Object l, Object k, Object v) {
    return l + "\u0000" + k + "\u0000" + v;
  }

  static Traversal m(String field) {
    return __.select("m").select(field);
  }

  /** The deletes of one batch, as the server loop's EVENT_MERGES runs them. */
  static void deletes(GraphTraversalSource g, List<Map> ds) {
    for (Map d : ds) {
      if ("vertex".equals(d.get("kind"))) {
        g.V().has((String) d.get("l"), (String) d.get("k"), d.get("v")).drop().iterate();
      } else {
        GraphTraversal x = g.V().has((String) d.get("fl"), (String) d.get("fk"), d.get("fv")).outE((String) d.get("l"));
        if (d.get("ek") != null) x = x.has((String) d.get("ek"), d.get("ekv"));
        x.where(__.inV().has((String) d.get("tl"), (String) d.get("tk"), d.get("tv"))).drop().iterate();
      }
    }
  }

  static void perElementEdges(GraphTraversalSource g, List<Map> es) {
    if (es.isEmpty()) return;
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Map x : es) {
      Map<Object, Object> e = new LinkedHashMap<>();
      e.put(T.label, x.get("l"));
      e.put(Direction.OUT, Merge.outV);
      e.put(Direction.IN, Merge.inV);
      if (x.get("ek") != null) e.put(x.get("ek"), x.get("ekv"));
      rows.add(Map.of("e", e, "f", ref(x.get("fl"), x.get("fk"), x.get("fv")), "t", ref(x.get("tl"), x.get("tk"), x.get("tv")), "p", x.get("p")));
    }
    g.inject((Object) rows).unfold().as("m").mergeE(m("e")).option(Merge.outV, m("f")).option(Merge.inV, m("t"))
        .option(Merge.onCreate, m("p")).option(Merge.onMatch, m("p")).iterate();
  }

  /** Runs the batches; returns {wall ns, this thread's CPU ns}. */
  static long[] run(GraphTraversalSource g, List<Map> batches, boolean linked) {
    ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
    long c0 = tmx.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    for (Map b : batches) {
      deletes(g, (List<Map>) b.get("ds"));
      List<Map> vs = (List<Map>) b.get("vs");
      List<Map> es = (List<Map>) b.get("es");
      Map<String, Object> ids = new HashMap<>();
      if (!vs.isEmpty()) {
        List<Map<String, Object>> rows = new ArrayList<>(vs.size());
        for (Map v : vs) rows.add(Map.of("s", ref(v.get("l"), v.get("k"), v.get("v")), "p", v.get("p")));
        GraphTraversal t = g.inject((Object) rows).unfold().as("m").mergeV(m("s"))
            .option(Merge.onCreate, m("p")).option(Merge.onMatch, m("p"));
        if (linked) {
          List<Object> got = t.id().toList();
          for (int i = 0; i < vs.size(); i++) ids.put(id(vs.get(i).get("l"), vs.get(i).get("k"), vs.get(i).get("v")), got.get(i));
        } else t.iterate();
      }
      if (!linked) {
        perElementEdges(g, es);
        continue;
      }
      List<Map<String, Object>> rows = new ArrayList<>();
      List<Map> rest = new ArrayList<>();
      for (Map x : es) {
        Object out = ids.get(id(x.get("fl"), x.get("fk"), x.get("fv")));
        Object in = ids.get(id(x.get("tl"), x.get("tk"), x.get("tv")));
        if (out == null || in == null) {
          rest.add(x);
          continue;
        }
        Map<Object, Object> e = new LinkedHashMap<>();
        e.put(T.label, x.get("l"));
        e.put(Direction.OUT, out);
        e.put(Direction.IN, in);
        if (x.get("ek") != null) e.put(x.get("ek"), x.get("ekv"));
        rows.add(Map.of("e", e, "p", x.get("p")));
      }
      perElementEdges(g, rest);
      if (!rows.isEmpty())
        g.inject((Object) rows).unfold().as("m").mergeE(m("e")).option(Merge.onCreate, m("p")).option(Merge.onMatch, m("p")).iterate();
    }
    return new long[] {System.nanoTime() - t0, tmx.getCurrentThreadCpuTime() - c0};
  }

  public static void main(String[] args) throws Exception {
    List<Map> batches = (List<Map>) plain(new JsonSlurper().parse(new File(args[0])));
    String[] keys = args[1].isEmpty() ? new String[0] : args[1].split(",");
    int rounds = Integer.parseInt(args[2]);
    for (int round = 1; round <= rounds; round++) {
      for (String plan : new String[] {"per-element", "linked"}) {
        TinkerGraph graph = TinkerGraph.open();
        for (String k : keys) graph.createIndex(k, Vertex.class); // as the bench does on gBench
        GraphTraversalSource g = graph.traversal();
        long[] ns = run(g, batches, plan.equals("linked"));
        System.out.println("{\"plan\":\"" + plan + "\",\"round\":" + round + ",\"loopMs\":" + ns[0] / 1e6 + ",\"cpuMs\":" + ns[1] / 1e6 + ",\"v\":"
            + g.V().count().next() + ",\"e\":" + g.E().count().next() + "}");
        graph.close();
      }
    }
  }
}
