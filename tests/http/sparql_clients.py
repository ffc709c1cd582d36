"""kg's SPARQL endpoint through clients nobody here wrote: SPARQLWrapper and
rdflib's SPARQLStore (Debian's python3-sparqlwrapper and python3-rdflib,
for /usr/bin/python3). Run by tests/http/http_test.cc against a seeded
kg-server:

    /usr/bin/python3 sparql_clients.py http://127.0.0.1:PORT/sparql

Exits 0 when every check holds; otherwise prints what failed and exits 1.
"""

import sys

import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

E = "https://kg.invalid/entity/"
R = "https://kg.invalid/relation/"
PART_OF = (
    "SELECT ?who WHERE { ?who <%spart_of> <%ssouth_korea> } ORDER BY ?who" % (R, E)
)
EXPECTED_PART_OF = [E + "presidential_office", E + "south_korean_officials"]

failures = []


def check(what, got, want):
    if got != want:
        failures.append("%s: got %r, want %r" % (what, got, want))


def wrapper(endpoint, query, fmt, method=None):
    w = SPARQLWrapper(endpoint)
    w.setQuery(query)
    w.setReturnFormat(fmt)
    if method:
        w.setMethod(method)
    return w.query().convert()


def sparqlwrapper_checks(endpoint):
    # SELECT in JSON, by GET and by POST.
    for method in (None, POST):
        r = wrapper(endpoint, PART_OF, JSON, method)
        check(
            "SPARQLWrapper JSON %s" % (method or "GET"),
            [b["who"]["value"] for b in r["results"]["bindings"]],
            EXPECTED_PART_OF,
        )
    # SELECT in XML: SPARQLWrapper hands back a DOM document.
    doc = wrapper(endpoint, PART_OF, XML)
    uris = [n.firstChild.data for n in doc.getElementsByTagName("uri")]
    check("SPARQLWrapper XML", uris, EXPECTED_PART_OF)
    # CSV: the raw text.
    text = wrapper(endpoint, PART_OF, CSV).decode("utf-8")
    check("SPARQLWrapper CSV", text.split("\r\n")[:3], ["who"] + EXPECTED_PART_OF)
    # ASK.
    r = wrapper(endpoint, "ASK { <%snis> ?p ?o }" % E, JSON)
    check("SPARQLWrapper ASK", r["boolean"], True)
    # CONSTRUCT in Turtle, parsed by rdflib.
    g = wrapper(
        endpoint,
        "CONSTRUCT WHERE { ?who <%spart_of> <%ssouth_korea> }" % (R, E),
        TURTLE,
    )
    graph = g if isinstance(g, rdflib.Graph) else rdflib.Graph().parse(data=g, format="turtle")
    check("SPARQLWrapper CONSTRUCT triples", len(graph), 2)
    # A syntax error is HTTP 400, which SPARQLWrapper raises as QueryBadFormed
    # with the server's message (line and column).
    try:
        wrapper(endpoint, "SELECT * WHERE { ?s ?p }", JSON)
        failures.append("SPARQLWrapper: a syntax error did not raise")
    except QueryBadFormed as e:
        if "line 1, column" not in str(e):
            failures.append("SPARQLWrapper: the error does not say where: %s" % e)


def rdflib_checks(endpoint):
    graph = rdflib.Graph(store=SPARQLStore(endpoint))
    rows = list(graph.query(PART_OF))
    check("rdflib SPARQLStore query", [str(r[0]) for r in rows], EXPECTED_PART_OF)
    # Triple patterns go through the store as SPARQL queries of its own.
    objects = sorted(
        str(o)
        for o in graph.objects(rdflib.URIRef(E + "presidential_office"),
                               rdflib.URIRef(R + "part_of"))
    )
    check("rdflib SPARQLStore objects", objects, [E + "south_korea"])
    check(
        "rdflib SPARQLStore ASK",
        bool(graph.query("ASK { <%snis> ?p ?o }" % E)),
        True,
    )


def main():
    endpoint = sys.argv[1]
    sparqlwrapper_checks(endpoint)
    rdflib_checks(endpoint)
    for f in failures:
        print(f)
    print("%d checks failed" % len(failures) if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
