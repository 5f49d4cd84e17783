"""The five school policies the rules come from, by their own titles.

Every finding cites its rule and the seed that says so, so a teacher can see the
check is the school's policy and not the app's whim.
"""

from __future__ import annotations

from .model import Finding

# Seed file -> the title the document gives itself (year added where it has one,
# which also keeps the two "Acceptable Use" policies apart).
SEEDS = {
    "000": "Twitter Acceptable Use Policy 2018",  # Courtney Primary School
    "001": "Use of Twitter Policy 2018",
    "002": "Twitter / Facebook Policy 2017",  # Ashton Hayes Primary School
    "003": "Social Media Code of Conduct for School Twitter Account",  # Sutton Manor
    "004": "Twitter (Social Media) Acceptable Use Policy 2014",  # Chestnuts Primary
}

# Rule -> every seed it comes from (PRODUCT.md's table); findings cite one of them.
RULE_SEEDS = {
    "R1": ("001", "002"),
    "R2": ("001", "002", "003"),
    "R4": ("000", "002", "003"),
    "R5": ("001", "003"),
    "R6": ("001",),
    "R8": ("002", "003"),
    "R9": ("001", "002"),
    "R16": ("001", "002", "003"),
    "R19": ("002", "003", "004"),
}

# Checks that are not in the seeds cite where they do come from instead.
OTHER_SOURCES = {
    "LEN": "the network's own length limit",
    "ALT": "accessibility: every image needs a text description",
}


def finding(
    rule: str,
    seed_id: str | None,
    severity: str,
    text: str,
    **where: object,
) -> Finding:
    """Build a Finding whose message ends with its citation, e.g. "(R2, Use of …)"."""
    if seed_id is not None and seed_id not in RULE_SEEDS.get(rule, ()):
        msg = f"{rule} does not come from seed {seed_id}"
        raise ValueError(msg)
    source = SEEDS[seed_id] if seed_id else OTHER_SOURCES[rule]
    return Finding(
        rule=rule,
        seed=SEEDS[seed_id] if seed_id else "",
        severity=severity,
        message=f"{text} ({rule}, {source})",
        **where,  # type: ignore[arg-type]
    )
