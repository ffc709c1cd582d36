#!/usr/bin/python3
"""Writes a synthetic WordNet-shaped N-Triples file for bench/rdf_read_bench.

WordNet itself is not on the benchmark machine (bench/wordnet_to_kg.py needs
the Debian package wordnet-base and writes kg's JSON Lines, not RDF), so
this writes a file with the shape of WordNet's RDF (the wordnet-rdf.princeton.edu
vocabulary): one synset IRI per synset with rdf:type, part of speech, a
label and a gloss per synset, lemma labels, and pointers (hypernym,
hyponym, ...) between synsets. Word counts, string lengths and the mix of
triple kinds follow WordNet 3.0 roughly: 117,659 synsets and about a
million triples by default. Deterministic (fixed seed).

    bench/make_wordnet_nt.py --out=/tmp/wordnet.nt [--synsets=117659]
"""

import argparse
import random

WN = "http://wordnet-rdf.princeton.edu/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
POS = [("n", "noun", 0.70), ("v", "verb", 0.12), ("a", "adjective", 0.15),
       ("r", "adverb", 0.03)]
POINTERS = ["hypernym", "hyponym", "member_holonym", "part_meronym",
            "antonym", "derivation", "similar", "also", "domain_topic",
            "instance_hypernym", "entails", "attribute"]
SYLLABLES = ["ka", "lo", "mi", "ne", "ra", "to", "su", "vi", "den", "gar",
             "ost", "ple", "quin", "ber", "ch", "th", "an", "el"]


def word(rng):
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--synsets", type=int, default=117659)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    ids = []
    for i in range(args.synsets):
        r = rng.random()
        for letter, _, share in POS:
            if r < share:
                break
            r -= share
        ids.append("%08d-%s" % (100000 + i * 7, letter))
    pos_name = {p[0]: p[1] for p in POS}
    lines = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for sid in ids:
            s = "<%sid/%s>" % (WN, sid)
            out.write("%s <%s> <%sontology#Synset> .\n" % (s, RDF_TYPE, WN))
            out.write("%s <%sontology#part_of_speech> <%sontology#%s> .\n"
                      % (s, WN, WN, pos_name[sid[-1]]))
            lemmas = [word(rng) for _ in range(rng.choice([1, 1, 2, 2, 3]))]
            out.write('%s <%s> "%s"@en .\n' % (s, RDFS_LABEL, lemmas[0]))
            for lemma in lemmas:
                out.write('%s <%sontology#lemma> <%sid/%s-%s> .\n'
                          % (s, WN, WN, lemma, sid[-1]))
            gloss = " ".join(word(rng) for _ in range(rng.randint(4, 16)))
            if rng.random() < 0.1:  # quoted examples, as WordNet glosses have
                gloss += '; \\"%s %s\\"' % (word(rng), word(rng))
            out.write('%s <%sontology#gloss> "%s"@en .\n' % (s, WN, gloss))
            lines += 4 + len(lemmas)
            for _ in range(rng.choice([1, 2, 2, 3, 4])):
                out.write("%s <%sontology#%s> <%sid/%s> .\n"
                          % (s, WN, rng.choice(POINTERS), WN, rng.choice(ids)))
                lines += 1
    print("wrote %d triples to %s" % (lines, args.out))


if __name__ == "__main__":
    main()
