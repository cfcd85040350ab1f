// Binds the traversal source `g` for scripts and bytecode requests.
def globals = [:]
globals << [g : graph.traversal()]
