#!/usr/bin/env python3
"""The seed graph: the curated statements of data/seed-article.txt.

Writes data/seed.jsonl (kg's JSON Lines import format, loaded by a fresh
kg-server) and docs/seed.md (each sentence with the statements it yields).
Both outputs are committed and reviewed as diffs; run this only when the
curation changes:

    python3 data/make_seed.py

Offsets are Unicode code points, as the API defines them (Python str
indexes are code points).
"""
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEXT = (ROOT / "data" / "seed-article.txt").read_text(encoding="utf-8")
DOC = "seed_article"


def split_sentences(text):
    """[(start, end, sentence)] in code points; 'U.S. officials' stays whole."""
    out = []
    for para in re.finditer(r"[^\n]+", text):
        pos = 0
        for part in re.split(r"(?<=\.)\s+(?=[A-Z])", para.group(0)):
            i = para.group(0).index(part, pos)
            out.append((para.start() + i, para.start() + i + len(part), part))
            pos = i + len(part)
    return out


SENTENCES = split_sentences(TEXT)

ENTITIES = [
    # id, label, type, aliases the text uses
    ("yoon_suk_yeol", "Yoon Suk Yeol", "Person", ["President Yoon Suk Yeol"]),
    ("south_korea", "South Korea", "Country", []),
    ("north_korea", "North Korea", "Country", ["Pyongyang"]),
    ("russia", "Russia", "Country", ["Moscow"]),
    ("kremlin", "Kremlin", "Organization", ["The Kremlin"]),
    ("ukraine", "Ukraine", "Country", []),
    ("united_states", "United States", "Country", ["U.S."]),
    ("nato", "NATO", "Organization", []),
    ("nis", "National Intelligence Service", "Organization", ["NIS"]),
    ("national_security_council", "National Security Council", "Organization", []),
    ("ministry_of_national_defense", "Ministry of National Defense", "Organization", []),
    ("presidential_office", "South Korean presidential office", "Organization", ["presidential office"]),
    ("emergency_security_meeting", "emergency security meeting", "Event", []),
    ("meeting_participants", "participants in the emergency security meeting", "Group", ["Participants"]),
    ("south_korean_officials", "South Korean officials", "Group", []),
    ("us_officials", "U.S. officials", "Group", []),
    ("nato_officials", "NATO officials", "Group", []),
    ("observers", "Observers", "Group", []),
    ("international_community", "international community", "Group", []),
    ("volodymyr_zelenskyy", "Volodymyr Zelenskyy", "Person", ["Zelenskyy", "Ukrainian President Volodymyr Zelenskyy"]),
    ("war_in_ukraine", "war in Ukraine", "Event", ["ongoing conflict in Ukraine"]),
    ("russian_occupied_territories", "Russian-occupied territories in Ukraine", "Place", []),
    ("russian_far_east", "Russian Far East", "Place", []),
    ("far_east_summit", "summit in the Russian Far East", "Event", []),
    ("strategic_agreement", "comprehensive strategic agreement", "Agreement", []),
    ("north_korean_special_forces", "North Korean special forces", "MilitaryUnit", ["special forces"]),
    ("ballistic_missiles", "ballistic missiles", "Weapon", []),
    ("korean_war", "Korean War", "Event", []),
    ("regional_security", "regional security", "Topic", []),
    ("regional_tensions", "regional tensions", "Topic", []),
    ("donetsk_region", "Donetsk region", "Place", ["Donetsk", "eastern Donetsk region"]),
    ("donetsk_missile_strike", "Ukrainian missile strike in the Donetsk region", "Event", []),
]

SUPPORTS, OPPOSES, NONE = "POLARITY_SUPPORTS", "POLARITY_OPPOSES", "POLARITY_NONE"
RELATIONS = [
    # id, label, symmetric, polarity
    ("reported", "reported", False, SUPPORTS),
    ("stated", "stated", False, SUPPORTS),
    ("confirmed", "confirmed", False, SUPPORTS),
    ("asserted", "asserted", False, SUPPORTS),
    ("considered_plausible", "considered plausible", False, SUPPORTS),
    ("denied", "denied", False, OPPOSES),
    ("dismissed", "dismissed", False, OPPOSES),
    ("rejected", "rejected", False, OPPOSES),
    ("found_no_evidence_of", "found no concrete evidence of", False, OPPOSES),
    ("convened", "convened", False, NONE),
    ("held_on", "held on", False, NONE),
    ("convened_in_response_to", "convened in response to", False, NONE),
    ("included_officials_from", "included officials from", False, NONE),
    ("decided_to_send_troops_to", "decided to send troops to", False, NONE),
    ("to_aid_in", "to aid in", False, NONE),
    ("located_in", "located in", False, NONE),
    ("deployed_troops_to", "deployed troops to", False, NONE),
    ("brigade_count", "brigade count", False, NONE),
    ("troop_count", "troop count", False, NONE),
    ("includes_unit", "includes unit", False, NONE),
    ("first_major_ground_deployment_by", "first major deployment of ground troops by", False, NONE),
    ("raised_concerns_about", "raised concerns about", False, NONE),
    ("threatens", "is a security threat to", False, NONE),
    ("plans_to_counter", "plans to use all available resources to address", False, NONE),
    ("military_ties_with", "has military ties with", True, NONE),
    ("monitored_troop_movements_of", "monitored troop movements of", False, NONE),
    ("allied_with", "allied with", True, NONE),
    ("present_in", "present in", False, NONE),
    ("president_of", "president of", False, NONE),
    ("has_forces_operating_in", "has forces operating in", False, NONE),
    ("preparing_troops_for_deployment_to", "preparing troops for deployment to", False, NONE),
    ("occupied_by", "occupied by", False, NONE),
    ("part_of", "part of", False, NONE),
    ("cooperates_with", "cooperates with", True, NONE),
    ("attended", "attended", False, NONE),
    ("agreed_with", "agreed to enhance military collaboration with", True, NONE),
    ("signed", "signed", False, NONE),
    ("signed_on", "signed on", False, NONE),
    ("includes_commitment", "includes commitment", False, NONE),
    ("could_escalate", "could escalate", False, NONE),
    ("would_be_first_major_engagement_since", "would be the first major military engagement since", False, NONE),
    ("ended_in", "ended in", False, NONE),
    ("committed_to_counter", "committed to address", False, NONE),
    ("coordinates_with", "coordinates with", True, NONE),
    ("supplied_weapons_to", "supplied weapons to", False, NONE),
    ("includes_weapon", "includes weapon", False, NONE),
    ("in_conflict_with", "in conflict with", True, NONE),
    ("carried_out_by", "carried out by", False, NONE),
    ("occurred_in", "occurred in", False, NONE),
    ("north_korean_deaths", "North Korean individuals killed", False, NONE),
    ("raised_questions_about", "raised questions about", False, NONE),
    ("involved_in", "involved in", False, NONE),
    # <<a>> entails <<b>>: if a holds, b does (a is b said more specifically).
    # `kgctl why --related` follows it (docs/query.md, "Related statements").
    ("entails", "entails", False, NONE),
]


def E(entity_id):
    return {"entity": entity_id}


def INT(n):
    return {"literal": {"integer_value": str(n)}}


def DATE(d):
    return {"literal": {"date_value": d}}


def STR(s):
    return {"literal": {"string_value": s}}


def T(subject, relation, obj):
    return {"subject": subject, "relation": relation, "object": obj}


def Q(triple):
    return {"quoted": triple}


ASSERTED, BELIEVED, REPORTEDLY, PLAUSIBLE, UNCONFIRMED = (
    "HEDGE_ASSERTED", "HEDGE_BELIEVED", "HEDGE_REPORTEDLY", "HEDGE_PLAUSIBLE", "HEDGE_UNCONFIRMED")

STATEMENTS = []  # (sentence number from 1, triple, hedge, confidence, valid start, valid end)


def say(n, triple, hedge=ASSERTED, confidence=1.0, start=None, end=None):
    STATEMENTS.append((n, triple, hedge, confidence, start, end))


# The core contested fact and its variants.
DEPLOYED = T(E("north_korea"), "deployed_troops_to", E("russia"))
DECIDED = T(E("north_korea"), "decided_to_send_troops_to", E("russia"))
INVOLVED = T(E("north_korea"), "involved_in", E("war_in_ukraine"))
SUPPLIED = T(E("north_korea"), "supplied_weapons_to", E("russia"))
PERSONNEL = T(E("north_korea"), "present_in", E("russia"))
OPERATING = T(E("north_korea"), "has_forces_operating_in", E("russian_occupied_territories"))
PREPARING = T(E("north_korea"), "preparing_troops_for_deployment_to", E("russia"))

# 1. President Yoon Suk Yeol convened an emergency security meeting on Friday
#    in response to reports that North Korea has decided to send troops ...
say(1, T(E("yoon_suk_yeol"), "convened", E("emergency_security_meeting")), start="2024-10-18", end="2024-10-18")
say(1, T(E("emergency_security_meeting"), "held_on", DATE("2024-10-18")))
say(1, DECIDED, REPORTEDLY, 0.6, start="2024-10")
say(1, T(E("emergency_security_meeting"), "convened_in_response_to", Q(DECIDED)))
say(1, T(Q(DECIDED), "to_aid_in", E("war_in_ukraine")), REPORTEDLY, 0.6)
say(1, T(E("war_in_ukraine"), "located_in", E("ukraine")))
# 2. The gathering included senior officials from the NSC, the MND and the NIS ...
for org in ("national_security_council", "ministry_of_national_defense", "nis"):
    say(2, T(E("emergency_security_meeting"), "included_officials_from", E(org)), start="2024-10-18", end="2024-10-18")
# 3. According to the NIS, North Korea is believed to have deployed four
#    brigades, totaling approximately 12,000 soldiers, which includes special forces.
say(3, T(E("nis"), "reported", Q(DEPLOYED)), BELIEVED, 0.7, start="2024-10")
say(3, T(E("nis"), "reported", Q(T(Q(DEPLOYED), "brigade_count", INT(4)))), BELIEVED, 0.7)
say(3, T(E("nis"), "reported", Q(T(Q(DEPLOYED), "troop_count", INT(12000)))), BELIEVED, 0.6)
say(3, T(E("nis"), "reported", Q(T(Q(DEPLOYED), "includes_unit", E("north_korean_special_forces")))), BELIEVED, 0.7)
# 4. It is the first major deployment of ground troops by North Korea in
#    support of Russia's efforts in Ukraine, raising severe concerns ...
say(4, T(E("nis"), "reported", Q(T(Q(DEPLOYED), "first_major_ground_deployment_by", E("north_korea")))), BELIEVED, 0.7)
say(4, T(Q(DEPLOYED), "raised_concerns_about", E("regional_security")), ASSERTED, 0.9)
# 5. The South Korean presidential office stated that North Korea's troop
#    dispatch represents a severe security threat to the international community.
say(5, T(E("presidential_office"), "stated", Q(DEPLOYED)), ASSERTED, 0.8)
say(5, T(E("presidential_office"), "stated", Q(T(Q(DEPLOYED), "threatens", E("international_community")))), ASSERTED, 0.9)
say(5, T(E("presidential_office"), "part_of", E("south_korea")))
# 6. In light of this development, South Korea plans to utilize all available
#    resources to address the situation effectively.
say(6, T(E("south_korea"), "plans_to_counter", Q(DEPLOYED)), ASSERTED, 0.9)
# 7. Participants in the emergency security meeting expressed concern that the
#    escalating military ties between Russia and North Korea have transitioned
#    from mere military supplies to the actual deployment of troops.
say(7, T(E("meeting_participants"), "stated", Q(DEPLOYED)), ASSERTED, 0.8)
say(7, T(E("meeting_participants"), "stated", Q(T(E("russia"), "military_ties_with", E("north_korea")))), ASSERTED, 0.9)
say(7, T(E("meeting_participants"), "attended", E("emergency_security_meeting")))
# 8. They labeled this development a security threat to South Korea and the
#    broader international community.
say(8, T(E("meeting_participants"), "stated", Q(T(Q(DEPLOYED), "threatens", E("south_korea")))), ASSERTED, 0.9)
say(8, T(E("meeting_participants"), "stated", Q(T(Q(DEPLOYED), "threatens", E("international_community")))), ASSERTED, 0.9)
# 9. The presidential office confirmed that South Korea and its allies have
#    been closely monitoring North Korean troop movements to Russia ...
say(9, T(E("presidential_office"), "confirmed", Q(T(E("south_korea"), "monitored_troop_movements_of", E("north_korea")))), ASSERTED, 0.9)
# Monitoring "troop movements to Russia" takes the movements as given.
say(9, T(E("presidential_office"), "confirmed", Q(DEPLOYED)), ASSERTED, 0.7)
# 10. While South Korean officials indicated that it is plausible some North
#     Korean personnel are currently in Russia, they have not clarified ...
say(10, T(E("south_korean_officials"), "considered_plausible", Q(PERSONNEL)), PLAUSIBLE, 0.5, start="2024-10")
# Curation: North Korean military personnel in Russia, in this article, are
# the deployment said more cautiously.
say(10, T(Q(PERSONNEL), "entails", Q(DEPLOYED)))
say(10, T(E("south_korean_officials"), "part_of", E("south_korea")))
# 11. According to Ukrainian President Volodymyr Zelenskyy, North Korean forces
#     are already operating in Russian-occupied territories in Ukraine, with an
#     additional 10,000 troops reportedly preparing for deployment ...
say(11, T(E("volodymyr_zelenskyy"), "president_of", E("ukraine")))
say(11, T(E("volodymyr_zelenskyy"), "stated", Q(OPERATING)), ASSERTED, 0.7, start="2024-10")
say(11, T(E("volodymyr_zelenskyy"), "stated", Q(PREPARING)), REPORTEDLY, 0.5)
say(11, T(E("volodymyr_zelenskyy"), "stated", Q(T(Q(PREPARING), "troop_count", INT(10000)))), REPORTEDLY, 0.5)
say(11, T(E("russian_occupied_territories"), "part_of", E("ukraine")))
# Curation: forces operating in the occupied territories, and "additional"
# troops preparing, are the deployment said more specifically.
say(11, T(Q(OPERATING), "entails", Q(DEPLOYED)))
say(11, T(Q(PREPARING), "entails", Q(DEPLOYED)))
say(11, T(E("russian_occupied_territories"), "occupied_by", E("russia")))
# 12. However, NATO officials have stated that there is no concrete evidence of
#     North Korean involvement.
say(12, T(E("nato_officials"), "found_no_evidence_of", Q(INVOLVED)), UNCONFIRMED, 0.8)
say(12, T(E("nato_officials"), "found_no_evidence_of", Q(OPERATING)), UNCONFIRMED, 0.8)
say(12, T(E("nato_officials"), "part_of", E("nato")))
# Curation: a deployment to aid Russia in the war is involvement in it, so
# denying involvement (NATO's "no concrete evidence", sentence 22's denials)
# opposes the deployment.
say(12, T(Q(DEPLOYED), "entails", Q(INVOLVED)))
# 13. North Korea's and Russia's recent cooperation intensified following a
#     summit in the Russian Far East last year, where both nations agreed to
#     enhance their military collaboration.
say(13, T(E("north_korea"), "cooperates_with", E("russia")), start="2023")
say(13, T(E("far_east_summit"), "located_in", E("russian_far_east")))
say(13, T(E("far_east_summit"), "held_on", DATE("2023")))
say(13, T(E("north_korea"), "attended", E("far_east_summit")), start="2023", end="2023")
say(13, T(E("russia"), "attended", E("far_east_summit")), start="2023", end="2023")
say(13, T(E("north_korea"), "agreed_with", E("russia")), start="2023")
# 14. In June, their leaders further solidified this partnership by signing a
#     comprehensive strategic agreement with mutual defense commitments.
say(14, T(E("north_korea"), "signed", E("strategic_agreement")), start="2024-06")
say(14, T(E("russia"), "signed", E("strategic_agreement")), start="2024-06")
say(14, T(E("strategic_agreement"), "signed_on", DATE("2024-06")))
say(14, T(E("strategic_agreement"), "includes_commitment", STR("mutual defense")))
say(14, T(E("north_korea"), "allied_with", E("russia")), start="2024-06")
# 15. Observers note that this development could escalate regional tensions,
#     given North Korea's military capabilities.
say(15, T(E("observers"), "stated", Q(T(E("strategic_agreement"), "could_escalate", E("regional_tensions")))), PLAUSIBLE, 0.6)
# 16. If confirmed, the deployment of North Korean troops to Russia would
#     represent the country's first major military engagement since the Korean
#     War, which ended in 1953.
say(16, T(Q(DEPLOYED), "would_be_first_major_engagement_since", E("korean_war")), UNCONFIRMED, 0.5)
say(16, T(E("korean_war"), "ended_in", DATE("1953")))
# 17. South Korea remains vigilant and committed to taking all necessary
#     measures in coordination with the international community ...
say(17, T(E("south_korea"), "committed_to_counter", Q(DEPLOYED)))
say(17, T(E("south_korea"), "coordinates_with", E("international_community")))
# 18. Both Russia and North Korea have denied allegations of arms transfers and
#     dismissed claims that North Korean military personnel have been deployed
#     to assist Russia in its conflict with Ukraine.
for who in ("russia", "north_korea"):
    say(18, T(E(who), "denied", Q(SUPPLIED)), ASSERTED, 0.9)
    say(18, T(E(who), "dismissed", Q(DEPLOYED)), ASSERTED, 0.9)
say(18, T(E("russia"), "in_conflict_with", E("ukraine")))
# 19. The Kremlin has specifically rejected assertions from South Korea
#     regarding the presence of North Korean troops, emphasizing that such
#     allegations are unfounded.
say(19, T(E("kremlin"), "rejected", Q(DEPLOYED)), ASSERTED, 0.9)
say(19, T(E("south_korea"), "asserted", Q(DEPLOYED)), ASSERTED, 0.8)
# 20. Earlier reports indicated that six North Korean individuals were killed
#     in a Ukrainian missile strike in the eastern Donetsk region earlier this month.
say(20, T(E("donetsk_missile_strike"), "carried_out_by", E("ukraine")), REPORTEDLY, 0.6)
say(20, T(E("donetsk_missile_strike"), "located_in", E("donetsk_region")), REPORTEDLY, 0.6)
say(20, T(E("donetsk_missile_strike"), "north_korean_deaths", INT(6)), REPORTEDLY, 0.6)
say(20, T(E("donetsk_missile_strike"), "occurred_in", DATE("2024-10")), REPORTEDLY, 0.6)
# 21. This incident has raised questions about North Korea's involvement in the
#     ongoing war.
say(21, T(E("donetsk_missile_strike"), "raised_questions_about", Q(INVOLVED)), ASSERTED, 0.8)
# 22. However, both Moscow and Pyongyang continue to deny any active military
#     engagement, despite claims from South Korean and U.S. officials that North
#     Korea has been supplying weapons, including ballistic missiles, to Russia
#     since September of last year.
for who in ("russia", "north_korea"):
    say(22, T(E(who), "denied", Q(INVOLVED)), ASSERTED, 0.9)
for who in ("south_korean_officials", "us_officials"):
    say(22, T(E(who), "stated", Q(SUPPLIED)), ASSERTED, 0.8, start="2023-09")
    say(22, T(E(who), "stated", Q(T(Q(SUPPLIED), "includes_weapon", E("ballistic_missiles")))), ASSERTED, 0.8)
say(22, T(E("us_officials"), "part_of", E("united_states")))


def provenance(n, hedge, confidence, start, end):
    a, b, sentence = SENTENCES[n - 1]
    p = {"document_id": DOC, "evidence_start": a, "evidence_end": b,
         "evidence": sentence, "hedge": hedge, "confidence": confidence}
    valid = {k: v for k, v in (("start", start), ("end", end)) if v}
    if valid:
        p["valid_time"] = valid
    return p


def records():
    yield {"document": {"id": DOC,
                        "title": "Yoon convenes emergency security meeting over North Korean troops for Russia",
                        "published": "2024-10-18", "text": TEXT}}
    for id_, label, type_, aliases in ENTITIES:
        e = {"id": id_, "label": label, "type": type_}
        if aliases:
            e["aliases"] = aliases
        yield {"entity": e}
    for id_, label, symmetric, polarity in RELATIONS:
        r = {"id": id_, "label": label, "polarity": polarity}
        if symmetric:
            r["symmetric"] = True
        yield {"relation": r}
    for n, triple, hedge, confidence, start, end in STATEMENTS:
        yield {"statement": {"triple": triple,
                             "provenance": [provenance(n, hedge, confidence, start, end)]}}


def render(term):
    if "entity" in term:
        return term["entity"]
    if "literal" in term:
        (kind, value), = term["literal"].items()
        return json.dumps(value, ensure_ascii=False) if kind == "string_value" else value
    t = term["quoted"]
    return "<<" + " ".join((render(t["subject"]), t["relation"], render(t["object"]))) + ">>"


def write_doc():
    lines = ["# The seed graph", "",
             "A fresh kg-server loads `data/seed.jsonl`: the article "
             "`data/seed-article.txt` (published 2024-10-18, the Friday of the "
             "emergency meeting) and the statements below, one block per sentence. "
             "Generated by `python3 data/make_seed.py`; edit the script, not this page.", "",
             "Conventions: a claim is a statement about a quoted statement "
             "(`nis reported <<north_korea deployed_troops_to russia>>`); quoting "
             "does not assert. Quantities annotate the statement they qualify "
             "(`<<<<north_korea deployed_troops_to russia>> troop_count 12000>>`). "
             "Hedges go in each record's hedge and confidence; valid times are "
             "resolved against the publication date (\"last year\" = 2023, "
             "\"in June\" = 2024-06, \"earlier this month\" = 2024-10). "
             "The text never says the Kremlin speaks for Russia, so no statement does; "
             "both are claimants of their own. Officials are `part_of` what they speak for "
             "(`kgctl by-claimant nato --with-affiliates`). Curation adds `entails` between "
             "statements the article uses for the same claim (`<<a>> entails <<b>>`: a is b "
             "said more specifically), so that `kgctl why --related "
             "'<<north_korea deployed_troops_to russia>>'` finds every sentence that claims or "
             "denies that North Korean troops went to Russia, in whatever words: Zelenskyy's "
             "forces in the occupied territories and troops preparing, South Korean officials' "
             "personnel in Russia, and (since a deployment to aid the war is involvement in it) "
             "NATO officials' and the two governments' denials of involvement.", ""]
    by_sentence = {}
    for n, triple, hedge, confidence, start, end in STATEMENTS:
        by_sentence.setdefault(n, []).append((triple, hedge, confidence, start, end))
    for n, (a, b, sentence) in enumerate(SENTENCES, 1):
        lines.append(f"**{n}.** [{a}, {b}) {sentence}")
        lines.append("")
        for triple, hedge, confidence, start, end in by_sentence.get(n, []):
            when = f", valid {start or '…'}–{end or '…'}" if (start or end) else ""
            h = hedge.removeprefix("HEDGE_").lower()
            lines.append(f"- `{render({'quoted': triple})[2:-2]}` ({h}, {confidence}{when})")
        if n not in by_sentence:
            lines.append("- (no statement)")
        lines.append("")
    (ROOT / "docs" / "seed.md").write_text("\n".join(lines), encoding="utf-8")


def main():
    with open(ROOT / "data" / "seed.jsonl", "w", encoding="utf-8") as f:
        for r in records():
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    write_doc()
    missing = [n for n in range(1, len(SENTENCES) + 1) if n not in {s[0] for s in STATEMENTS}]
    print(f"{len(SENTENCES)} sentences, {len(ENTITIES)} entities, {len(RELATIONS)} relations, "
          f"{len(STATEMENTS)} statements; sentences without statements: {missing or 'none'}")


if __name__ == "__main__":
    main()
