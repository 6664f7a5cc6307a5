"""A second, small inspection programme, made as a data package in a test: 6 areas, 3 indicators,
2 period groups, a 4-point scale, a few stated grades, one area's grade counts and one statement.

Everything that defines the domain is data, so this package differs from ``data/`` only in its
files. The grades it states, and what follows from them, are worked out by hand below."""

import csv
import json
from pathlib import Path

from conftest import ROOT

SCALE = [(4, "Excellent", "best practice", "true"), (3, "Good", "strengths outweigh weaknesses", "true"),
         (2, "Fair", "weaknesses need attention", "false"), (1, "Poor", "serious weaknesses", "false")]
GROUPS = [("early", 1, "Early", 3), ("late", 2, "Late", 3)]
AREAS = [("Alderney", "early"), ("Brecqhou", "early"), ("Herm", "early"),
         ("Jethou", "late"), ("Lihou", "late"), ("Sark", "late")]
INDICATORS = [("1.1", "Outcomes for people"), ("2.1", "Impact on families"), ("3.1", "Leadership")]
#: Stated grades: (area, indicator, grade).
STATED = [("Alderney", "1.1", "Excellent"), ("Alderney", "2.1", "Good"), ("Herm", "3.1", "Poor"),
          ("Sark", "1.1", "Fair")]
#: Lihou's counts: one Excellent, two Good (of its three indicators).
COUNTS = ("Lihou", {"excellent": 1, "good": 2, "fair": 0, "poor": 0})
#: "Every late area was Good or better on 2.1" (3 of 3).
STATEMENT = ("late-2.1-gob", "2.1", "late", "Good|Excellent", ">=", 3)

SOURCE = "test-programme"


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


#: "The late group's mean grade on 1.1 is higher" (a reading of a conclusion).
CLAIM = ("cl-1.1-up", "1.1", "rises", "mean_grade", "early|late")

#: A tinier programme, small enough to enumerate every grade table (3^8 = 6,561): 4 areas in 2 groups,
#: 2 indicators, a 3-point scale; one stated cell, one area's counts, one statement, one claim.
TINY = {
    "scale": [(3, "Good", "strengths", "true"), (2, "Fair", "some weaknesses", "false"), (1, "Poor", "weak", "false")],
    "groups": [("early", 1, "Early", 2), ("late", 2, "Late", 2)],
    "areas": [("Ash", "early"), ("Birch", "early"), ("Cedar", "late"), ("Damson", "late")],
    "indicators": [("1.1", "Outcomes"), ("2.1", "Impact")],
    "stated": [("Ash", "1.1", "Good")],
    "counts": ("Cedar", {"good": 1, "fair": 1, "poor": 0}),
    "statement": ("late-2.1-good", "2.1", "late", "Good", ">=", 1),
    "claim": ("cl-1.1-up", "1.1", "rises", "mean_grade", "early|late"),
}


def make_programme(folder: Path, scale=None, groups=None, areas=None, indicators=None, stated=None, counts=None,
                   statement=None, claim=None) -> Path:
    """Write the small programme's data package into ``folder`` (created) and return it; the keyword
    arguments replace the module's tables (``make_programme(folder, **TINY)`` writes the tiny one)."""
    SCALE, GROUPS, AREAS = scale or globals()["SCALE"], groups or globals()["GROUPS"], areas or globals()["AREAS"]
    INDICATORS, STATED = indicators or globals()["INDICATORS"], stated or globals()["STATED"]
    COUNTS, STATEMENT = counts or globals()["COUNTS"], statement or globals()["STATEMENT"]
    CLAIM = claim or globals()["CLAIM"]
    package = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    package["name"], package["title"] = "test-programme", "A small test programme: the public record"
    fields = {r["name"]: r["schema"]["fields"] for r in package["resources"]}

    def header(name):
        return [f["name"] for f in fields[name]]

    def row(name, **values):
        return [values.get(h, "") for h in header(name)]

    codes = [c for c, _ in INDICATORS]
    groups = [g for g, *_ in GROUPS]
    grades = [g for _, g, *_ in SCALE]
    for resource in package["resources"]:
        for f in resource["schema"]["fields"]:
            enum = f.get("constraints", {}).get("enum")
            if enum is None:
                continue
            if "1.1" in enum:
                f["constraints"]["enum"] = codes
            elif "pre-2014" in enum:
                f["constraints"]["enum"] = groups
            elif "Excellent" in enum:
                f["constraints"]["enum"] = grades
        if resource["name"] == "grade_scale":
            next(f for f in resource["schema"]["fields"] if f["name"] == "value")["constraints"]["maximum"] = len(SCALE)
        if resource["name"] == "area_grade_counts":  # one count column per grade of this scale
            keep = [f for f in resource["schema"]["fields"]
                    if f["name"] not in ("excellent", "very_good", "good", "adequate", "weak", "unsatisfactory")]
            counts = [{"name": g.lower(), "type": "integer", "description": f"Indicators graded {g}.",
                       "constraints": {"minimum": 0}} for g in grades]
            resource["schema"]["fields"] = keep[:2] + counts + keep[2:]
    fields = {r["name"]: r["schema"]["fields"] for r in package["resources"]}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "datapackage.json").write_text(json.dumps(package, indent=1), encoding="utf-8")
    path = {r["name"]: folder / r["path"] for r in package["resources"]}

    _write(path["sources"], header("sources"),
           [row("sources", source_id=SOURCE, publisher="Test", title="A test programme's review")])
    _write(path["grade_scale"], header("grade_scale"),
           [row("grade_scale", value=v, grade=g, descriptor=d, good_or_better=b, source_id=SOURCE)
            for v, g, d, b in SCALE])
    _write(path["period_groups"], header("period_groups"),
           [row("period_groups", period_group=g, order=o, label=lab, n_partnerships=n,
                description=f"{lab} inspections.", appendix4_heading=f"{lab} group", source_id=SOURCE)
            for g, o, lab, n in GROUPS])
    position = {}
    rows = []
    for area, group in AREAS:
        position[group] = position.get(group, 0) + 1
        rows.append(row("partnerships", partnership=area, slug=area.lower(), la_name=area, period_group=group,
                        schedule_position=position[group], pilot="false", social_work_in_ia="false",
                        aliases=f"Isle of {area}", source_id=SOURCE))
    _write(path["partnerships"], header("partnerships"), rows)
    _write(path["indicators"], header("indicators"),
           [row("indicators", indicator=c, order=k, title=t, review_heading=t, framework_question=f"How good is {t}?",
                framework_area=t, review_section=t, source_id=SOURCE) for k, (c, t) in enumerate(INDICATORS, 1)])
    _write(path["cell_grades"], header("cell_grades"),
           [row("cell_grades", partnership=a, indicator=i, grade=g, basis="stated", source_id=SOURCE,
                quote=f"{a} was {g} on {i}") for a, i, g in STATED])
    area, counts = COUNTS
    _write(path["area_grade_counts"], header("area_grade_counts"),
           [row("area_grade_counts", partnership=area, n_indicators=sum(counts.values()), source_id=SOURCE,
                quote=f"{area}: its grade counts", **counts)])
    sid, ind, group, grades_, comp, value = STATEMENT
    _write(path["review_statements"], header("review_statements"),
           [row("review_statements", statement_id=sid, source_id=SOURCE, section="Findings",
                quote=f"the late areas on {ind}", indicator=ind, period_group=group, grades=grades_,
                comparator=comp, value=value, reading=f"{comp} {value} late areas {grades_} on {ind}.")])
    _write(path["review_claims"], header("review_claims"),
           [row("review_claims", claim_id=CLAIM[0], claim="improved", source_id=SOURCE, section="Findings",
                quote="outcomes improved", indicator=CLAIM[1], relation=CLAIM[2], measure=CLAIM[3],
                groups=CLAIM[4], strict="true", reading=f"The late group's mean grade on {CLAIM[1]} is higher.")])
    _write(path["staff_survey"], header("staff_survey"),
           [row("staff_survey", measure="girfec", question="Working together has improved", period_group=g,
                percent_positive=p, source_id=SOURCE, section="Survey", quote=f"{p}% positive")
            for g, p in (("early", 60), ("late", 70))])
    _write(path["case_records"], header("case_records"),
           [row("case_records", measure="records_good", description="Records evaluated good or better",
                scope="all case records", stated="about half", value=0.5, low=0.45, high=0.55, source_id=SOURCE,
                section="Records", quote="about half of records", reading="45% to 55%")])
    _write(path["headline_counts"], header("headline_counts"),
           [row("headline_counts", measure="inspections", description="Inspections", value=6, qualifier="exact",
                source_id=SOURCE, quote="six inspections")])
    return folder
