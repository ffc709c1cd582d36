#!/usr/bin/python3
"""Converts WordNet 3.0 (Debian package wordnet-base) into a kg graph.

    apt-get install wordnet-base
    bench/wordnet_to_kg.py --out=/tmp/wn        # writes into /tmp/wn:
      wordnet.jsonl  kg import format (kgctl import, kg-server --seed_file)
      nodes.csv      id                 (the same graph for Kuzu)
      edges.csv      from,to,relation

Every synset of data.noun, data.verb, data.adj and data.adv becomes an
entity: id = its part of speech and offset ("n02084071"; ids must be
[a-z0-9_]), label = its NLTK-style name ("dog.n.01": first lemma, part of
speech, the synset's sense number for that lemma in index.<pos>), type
NounSynset, VerbSynset, AdjectiveSynset (satellites included) or
AdverbSynset. Every pointer becomes a statement subject -pointer-> object
between the two synsets, whether the pointer is semantic (between synsets)
or lexical (between two of their words); duplicates and self-loops are
dropped. Relations are named after the pointer (hypernym, hyponym,
member_holonym, antonym, ...). Each statement carries one provenance record
from the document "wordnet30", confidence 1.
"""

import argparse
import json
import os
import sys

POS_FILES = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
TYPES = {"n": "NounSynset", "v": "VerbSynset", "a": "AdjectiveSynset",
         "s": "AdjectiveSynset", "r": "AdverbSynset"}
# Pointer symbols (wninput(5WN)); the meaning of a few depends on the part
# of speech, which the names below gloss over where harmless.
POINTERS = {
    "!": "antonym", "@": "hypernym", "@i": "instance_hypernym",
    "~": "hyponym", "~i": "instance_hyponym", "#m": "member_holonym",
    "#s": "substance_holonym", "#p": "part_holonym", "%m": "member_meronym",
    "%s": "substance_meronym", "%p": "part_meronym", "=": "attribute",
    "+": "derivationally_related", ";c": "domain_topic",
    "-c": "member_of_domain_topic", ";r": "domain_region",
    "-r": "member_of_domain_region", ";u": "domain_usage",
    "-u": "member_of_domain_usage", "*": "entailment", ">": "cause",
    "^": "also_see", "$": "verb_group", "&": "similar_to",
    "<": "participle", "\\": "pertainym",
}
DOC_TEXT = "WordNet 3.0 lexical database (Princeton University), pointer."


def synset_id(pos, offset):
    return ("a" if pos == "s" else pos) + offset


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wordnet", default="/usr/share/wordnet")
    ap.add_argument("--out", required=True, help="output directory")
    args = ap.parse_args()
    if not os.path.exists(os.path.join(args.wordnet, "data.noun")):
        sys.exit(f"{args.wordnet}/data.noun missing: apt-get install "
                 "wordnet-base")
    os.makedirs(args.out, exist_ok=True)

    # Sense numbers: lemma -> its synset offsets in index order.
    senses = {}
    for pos, name in POS_FILES.items():
        with open(os.path.join(args.wordnet, "index." + name)) as f:
            for line in f:
                if line.startswith("  "):
                    continue
                t = line.split()
                p_cnt = int(t[3])
                offsets = t[6 + p_cnt:]
                senses[(t[0], pos)] = offsets

    synsets = []  # (id, label, type)
    edges = set()
    for pos, name in POS_FILES.items():
        with open(os.path.join(args.wordnet, "data." + name)) as f:
            for line in f:
                if line.startswith("  "):
                    continue
                t = line.split(" | ")[0].split()
                offset, ss_type = t[0], t[2]
                w_cnt = int(t[3], 16)
                lemma = t[4].lower()
                if "(" in lemma:  # adjective markers: "beautiful(a)"
                    lemma = lemma[:lemma.index("(")]
                offsets = senses.get((lemma, pos), [])
                sense = offsets.index(offset) + 1 if offset in offsets else 1
                me = synset_id(ss_type, offset)
                synsets.append((me, f"{lemma}.{ss_type}.{sense:02d}",
                                TYPES[ss_type]))
                i = 4 + 2 * w_cnt
                p_cnt = int(t[i])
                for j in range(p_cnt):
                    sym, off, ppos = t[i + 1 + 4 * j:i + 4 + 4 * j]
                    other = synset_id(ppos, off)
                    if other != me:
                        edges.add((me, other, POINTERS.get(sym, "pointer")))

    ids = {s[0] for s in synsets}
    missing = [e for e in edges if e[1] not in ids]
    if missing:
        sys.exit(f"{len(missing)} pointers to unknown synsets, e.g. "
                 f"{missing[0]}")
    edges = sorted(edges)
    relations = sorted({e[2] for e in edges})

    with open(os.path.join(args.out, "wordnet.jsonl"), "w") as f:
        w = lambda rec: f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        w({"document": {"id": "wordnet30", "title": "WordNet 3.0",
                        "publisher": "Princeton University",
                        "text": DOC_TEXT}})
        for r in relations:
            w({"relation": {"id": r, "label": r.replace("_", " ")}})
        for sid, label, typ in synsets:
            w({"entity": {"id": sid, "label": label, "type": typ}})
        record = {"document_id": "wordnet30", "evidence_start": 0,
                  "evidence_end": len(DOC_TEXT), "evidence": DOC_TEXT,
                  "confidence": 1.0}
        for a, b, r in edges:
            w({"statement": {"triple": {"subject": {"entity": a},
                                        "relation": r,
                                        "object": {"entity": b}},
                             "provenance": [record]}})
    with open(os.path.join(args.out, "nodes.csv"), "w") as f:
        f.write("id\n")
        for sid, _, _ in synsets:
            f.write(sid + "\n")
    with open(os.path.join(args.out, "edges.csv"), "w") as f:
        f.write("from,to,relation\n")
        for a, b, r in edges:
            f.write(f"{a},{b},{r}\n")
    print(f"wordnet_to_kg: {len(synsets)} synsets, {len(edges)} statements, "
          f"{len(relations)} relations -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
