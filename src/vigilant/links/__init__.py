"""Link analysis across every case (issue 13): the entity graph, its link builders, the analysis over it
(components, communities, key distributors, repeat offenders, the "organised network?" indicator) and its
exports. Person resolution (xref) lives beside it in ``links.xref``."""
