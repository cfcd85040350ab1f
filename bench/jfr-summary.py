#!/usr/bin/env python3
# Flame summary of a Gremlin Server JFR recording: the share of CPU samples per activity (first matching category).
#   jcmd <pid> JFR.start name=w settings=profile filename=w.jfr   ... write ...   jcmd <pid> JFR.dump name=w; JFR.stop
#   jfr print --json --events jdk.ExecutionSample w.jfr > w.json && python3 bench/jfr-summary.py w.json
# Start the JVM with -XX:FlightRecorderOptions:stackdepth=512: the default 64 frames cut traversal stacks short.
import json, sys, collections
CATS = [
  ('strategy application (per-row search traversals)', ['applyStrategies', 'applyTraversalRecursively']),
  ('mergeE search/create', ['MergeEdgeStep']),
  ('mergeV search/create', ['MergeVertexStep']),
  ('bytecode -> traversal (JavaTranslator)', ['JavaTranslator', 'Bytecode.']),
  ('GraphBinary decode/encode', ['structure/io/binary', 'GraphBinary']),
  ('netty / websocket I/O', ['io/netty']),
  ('Groovy scripts (bench checksum, clear)', ['codehaus/groovy']),
  ('other traversal steps', ['gremlin/process']),
  ('GC / JIT / other', ['']),
]
for fn in sys.argv[1:]:
    d = json.load(open(fn))
    c = collections.Counter(); n = 0
    for e in d['recording']['events']:
        st = e['values'].get('stackTrace')
        if not st: continue
        names = [f['method']['type']['name'] + '.' + f['method']['name'] for f in st['frames']]
        n += 1
        for cat, keys in CATS:
            if any(any(k in x for x in names) for k in keys): c[cat] += 1; break
    print(fn, 'samples', n)
    for cat, _ in CATS: print(f'  {c[cat]*100/max(1,n):5.1f}%  {cat}')
