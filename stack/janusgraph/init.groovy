// Binds the traversal sources: g (the Customer 360 graph) and gTest (the test suite's graph).
def globals = [:]
globals << [g : graph.traversal()]
globals << [gTest : test.traversal()]
