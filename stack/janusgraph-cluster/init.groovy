// Binds the traversal source g: the Customer 360 graph in the shared Cassandra keyspace.
def globals = [:]
globals << [g : graph.traversal()]
