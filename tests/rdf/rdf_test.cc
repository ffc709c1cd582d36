// Placeholder; filled in by the rdf/ work.
