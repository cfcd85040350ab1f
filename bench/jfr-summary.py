#!/usr/bin/env python3
# Flame summary of a JVM's JFR recording: the share of CPU samples per activity (first matching category, in order).
#   jcmd <pid> JFR.start name=w settings=profile duration=120s filename=w.jfr   (while the workload runs)
#   jfr print --json --events jdk.ExecutionSample w.jfr > w.json && python3 bench/jfr-summary.py [--server S] w.json
# --server: gremlin (a Gremlin Server's writes, the default), janusgraph-cql (a JanusGraph Server on Cassandra) or
# cassandra. For traversal stacks start the JVM with -XX:FlightRecorderOptions:stackdepth=512 (the default 64 frames
# cut them short); the janusgraph-cql and cassandra categories match frames near the leaf and do with the default.
import json, sys, collections
SERVERS = {
  'gremlin': [
    ('strategy application (per-row search traversals)', ['applyStrategies', 'applyTraversalRecursively']),
    ('mergeE search/create', ['MergeEdgeStep']),
    ('mergeV search/create', ['MergeVertexStep']),
    ('bytecode -> traversal (JavaTranslator)', ['JavaTranslator', 'Bytecode.']),
    ('GraphBinary decode/encode', ['structure/io/binary', 'GraphBinary']),
    ('netty / websocket I/O', ['io/netty']),
    ('Groovy scripts (bench checksum, clear)', ['codehaus/groovy']),
    ('other traversal steps', ['gremlin/process']),
    ('GC / JIT / other', ['']),
  ],
  'janusgraph-cql': [
    ('consistency locks (lock columns: write, read back, delete)', ['janusgraph/diskstorage/locking']),
    ('CQL driver (requests to Cassandra, their futures)', ['com/datastax']),
    ('commit: mutations of the transaction', ['StandardJanusGraph.commit', 'StandardJanusGraph.prepareCommit', 'BackendTransaction.commit']),
    ('reads: vertex/edge/index queries', ['janusgraph/graphdb/query', 'janusgraph/graphdb/transaction', 'janusgraph/diskstorage']),
    ('TinkerPop steps and strategies', ['gremlin/process']),
    ('GraphBinary, netty / websocket I/O', ['gremlin/structure/io', 'io/netty', 'gremlin/server']),
    ('GC / JIT / other', ['']),
  ],
  'cassandra': [
    ('compaction and memtable flush', ['db/compaction', 'Flushing', 'Memtable$FlushRunnable', 'memtable/Flushing']),
    ('reads (slice queries: lock and edge columns)', ['SinglePartitionReadCommand', 'ReadCommand', 'db/rows', 'db/filter', 'io/sstable/format']),
    ('writes (mutation, commit log, memtable)', ['db/Mutation', 'db/commitlog', 'db/memtable', 'db/partitions', 'Keyspace.apply']),
    ('CQL processing (parse, prepare, batch)', ['cassandra/cql3']),
    ('request metrics (codahale histograms and timers)', ['com/codahale']),
    ('native transport, netty I/O', ['cassandra/transport', 'io/netty', 'cassandra/net']),
    ('GC / JIT / other', ['']),
  ],
}
args = sys.argv[1:]
server = 'gremlin'
if args[:1] == ['--server']:
    server, args = args[1], args[2:]
if server not in SERVERS:
    sys.exit(f"--server must be one of {', '.join(SERVERS)}, got {server}")
CATS = SERVERS[server]
for fn in args:
    d = json.load(open(fn))
    c = collections.Counter(); n = 0
    for e in d['recording']['events']:
        st = e['values'].get('stackTrace')
        if not st: continue
        names = [f['method']['type']['name'] + '.' + f['method']['name'] for f in st['frames']]
        n += 1
        for cat, keys in CATS:
            if any(any(k in x for x in names) for k in keys): c[cat] += 1; break
    print(fn, server, 'samples', n)
    for cat, _ in CATS: print(f'  {c[cat]*100/max(1,n):5.1f}%  {cat}')
