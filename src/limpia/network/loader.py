"""Load the network's source data (data/network/*.yaml) into the database: bodies, their
memberships and focal points, meetings with agenda and participation, decisions and the
commitments they create, verbatim and each with its source reference.

Like the plans' loader: stable keys make loading idempotent (a body by its key, a meeting by
its key, a membership by body, organization, role, seat and start, a decision by meeting, kind
and number, a commitment by body and text); every file is checked before anything is written;
one transaction writes only what changed, so a second load writes nothing. Nothing personal is
read from the participants' list (lac-consejo-participantes.yaml holds organizations only).
The format is in docs/network.md.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from limpia.core.models import Country, Organization, OrganizationKind, Subregion
from limpia.network.models import (
    AgendaItem,
    Body,
    BodyKind,
    BodyStatus,
    Commitment,
    Decision,
    DecisionKind,
    FocalPoint,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Membership,
    ParticipantKind,
    Participation,
    Role,
    Rule,
    Scope,
)
from limpia.plans.loader import LoadReport, SourceFileError, _upsert

NETWORK_DIR = resources.files("limpia") / "data" / "network"
FILES = ("lac-consejo-cps.yaml", "pa-pml.yaml", "cl-cpl.yaml")
PARTICIPANT_KINDS = {  # the participants' list's kinds → participation kinds
    "ngo": ParticipantKind.NGO,
    "cp_centre": ParticipantKind.CP_CENTRE,
    "business": ParticipantKind.BUSINESS_UNION,
    "union": ParticipantKind.BUSINESS_UNION,
    "academia": ParticipantKind.ACADEMIA,
    "bank_cooperation": ParticipantKind.BANK_COOPERATION,
    "local": ParticipantKind.LOCAL,
    "international_agency": ParticipantKind.INTERNATIONAL,
    "other": ParticipantKind.OTHER,
}
ORGANIZATION_KINDS = {
    "ngo": OrganizationKind.NGO,
    "cp_centre": OrganizationKind.CP_CENTRE,
    "business": OrganizationKind.BUSINESS_ASSOCIATION,
    "union": OrganizationKind.UNION,
    "academia": OrganizationKind.ACADEMIA,
    "bank_cooperation": OrganizationKind.FINANCIAL,
    "local": OrganizationKind.PUBLIC_AGENCY,
    "international_agency": OrganizationKind.INTERNATIONAL,
    "other": OrganizationKind.OTHER_BODY,
}
SUBREGIONS = {  # the participants' list's subregion names → core.Subregion keys
    "caribe": "caribbean",
    "mesoamerica": "mesoamerica",
    "andina": "andean",
    "cono-sur": "southern_cone",
}
REASON = "loadnetwork"


def network_files() -> list[Path]:
    return [Path(str(NETWORK_DIR / name)) for name in FILES]


class _Check:
    """Collects every problem of a file with where it is, before anything is written."""

    def __init__(self, name: str):
        self.name = name
        self.errors: list[str] = []

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{self.name}: {where}: {message}")

    def text(self, data: dict, key: str, where: str, *, required=False, max_length=None) -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.error(where, f"'{key}' is required")
            return ""
        if not isinstance(value, str):
            self.error(where, f"'{key}' must be text, not {value!r}")
            return ""
        if max_length and len(value) > max_length:
            self.error(where, f"'{key}' has more than {max_length} characters")
        return value.strip()

    def choice(self, data: dict, key: str, where: str, choices, default=None) -> str:
        value = data.get(key, default)
        if value not in choices.values:
            self.error(where, f"'{key}' must be one of {', '.join(choices.values)}, not {value!r}")
        return value

    def date(self, data: dict, key: str, where: str, *, required=False) -> dt.date | None:
        value = data.get(key)
        if value is None:
            if required:
                self.error(where, f"'{key}' is required")
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.error(where, f"'{key}' must be an ISO date (YYYY-MM-DD), not {value!r}")
            return None

    def number(self, data: dict, key: str, where: str) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or value < 0:
            self.error(where, f"'{key}' must be a whole number, not {value!r}")
            return None
        return value


def _read(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def parse_files(paths: list[Path]) -> tuple[list[dict], list[str]]:
    """Every file as plain data, with all their problems."""
    parsed, errors = [], []
    countries = set(Country.objects.values_list("code", flat=True))
    subregions = set(Subregion.objects.values_list("key", flat=True))
    known_orgs = set(Organization.objects.values_list("key", flat=True))
    bodies_seen, meetings_seen, orgs_seen = set(), set(), set()
    for path in paths:
        check = _Check(path.name)
        data = _read(path)
        source = check.text(data, "source_file", "file", required=True)
        out: dict[str, Any] = {"source_file": source, "path": path}
        out["organizations"] = []
        for i, org in enumerate(data.get("organizations") or [], 1):
            where = f"organization {i}"
            key = check.text(org, "key", where, required=True, max_length=80)
            orgs_seen.add(key)
            country = org.get("country") or ""
            if country and country not in countries:
                check.error(where, f"unknown country {country!r}")
            out["organizations"].append(
                {
                    "key": key,
                    "name": check.text(org, "name", where, required=True, max_length=300),
                    "acronym": check.text(org, "acronym", where, max_length=40),
                    "kind": check.choice(org, "kind", where, OrganizationKind),
                    "country": country or None,
                }
            )
        out["bodies"] = []
        for i, body in enumerate(data.get("bodies") or [], 1):
            key = check.text(body, "key", f"body {i}", required=True, max_length=80)
            where = f"body {key}"
            bodies_seen.add(key)
            country = body.get("country") or None
            if country and country not in countries:
                check.error(where, f"unknown country {country!r}")
            out["bodies"].append(
                {
                    "key": key,
                    "name": check.text(body, "name", where, required=True, max_length=300),
                    "acronym": check.text(body, "acronym", where, max_length=40),
                    "kind": check.choice(body, "kind", where, BodyKind),
                    "scope": check.choice(body, "scope", where, Scope),
                    "country": country,
                    "status": check.choice(body, "status", where, BodyStatus, BodyStatus.ACTIVE),
                    "parent": body.get("parent") or None,
                    "host": body.get("host") or None,
                    "organization": body.get("organization") or None,
                    "founding_act": check.text(body, "founding_act", where),
                    "founded_on": check.date(body, "founded_on", where),
                    "description": check.text(body, "description", where),
                    "source_ref": check.text(body, "source", where, required=True, max_length=500),
                    "note": check.text(body, "note", where),
                }
            )
        out["meetings"] = []
        for i, meeting in enumerate(data.get("meetings") or [], 1):
            key = check.text(meeting, "key", f"meeting {i}", required=True, max_length=80)
            where = f"meeting {key}"
            meetings_seen.add(key)
            starts = check.date(meeting, "starts_on", where, required=True)
            ends = check.date(meeting, "ends_on", where, required=True)
            if starts and ends and ends < starts:
                check.error(where, f"'ends_on' {ends} is before 'starts_on' {starts}")
            country = meeting.get("country") or None
            if country and country not in countries:
                check.error(where, f"unknown country {country!r}")
            agenda = []
            for n, item in enumerate(meeting.get("agenda") or [], 1):
                day = check.date(item, "day", f"{where} agenda item {n}")
                if day and starts and ends and not starts <= day <= ends:
                    check.error(f"{where} agenda item {n}", f"day {day} is outside the meeting")
                agenda.append(
                    {
                        "day": day,
                        "time": check.text(item, "time", where, max_length=40),
                        "title": check.text(
                            item, "title", f"{where} agenda item {n}", required=True
                        ),
                        "source_ref": meeting.get("agenda_source") or "",
                    }
                )
            participation = []
            for n, row in enumerate(meeting.get("participation") or [], 1):
                p_where = f"{where} participation {n}"
                participation.append(
                    {
                        "kind": check.choice(row, "kind", p_where, ParticipantKind),
                        "count": check.number(row, "count", p_where),
                        "text": check.text(row, "text", p_where, max_length=300),
                        "source_ref": check.text(row, "source", p_where, max_length=500),
                        "organization": None,
                    }
                )
            out["meetings"].append(
                {
                    "key": key,
                    "body": meeting.get("body"),
                    "number": check.number(meeting, "number", where),
                    "name": check.text(meeting, "name", where, required=True, max_length=300),
                    "kind": check.choice(meeting, "kind", where, MeetingKind, MeetingKind.ORDINARY),
                    "status": check.choice(
                        meeting, "status", where, MeetingStatus, MeetingStatus.HELD
                    ),
                    "starts_on": starts,
                    "ends_on": ends,
                    "place": check.text(meeting, "place", where, max_length=200),
                    "country": country,
                    "total_participants": check.number(meeting, "total_participants", where),
                    "source_ref": check.text(meeting, "source", where, required=True),
                    "note": check.text(meeting, "note", where),
                    "agenda": agenda,
                    "participation": participation,
                }
            )
        out["memberships"] = []
        for i, row in enumerate(data.get("memberships") or [], 1):
            where = f"membership {i}"
            term_from = check.date(row, "term_from", where)
            term_to = check.date(row, "term_to", where)
            if term_from and term_to and term_to < term_from:
                check.error(where, f"'term_to' {term_to} is before 'term_from' {term_from}")
            subregion = row.get("subregion") or None
            if subregion and subregion not in subregions:
                check.error(where, f"unknown subregion {subregion!r}")
            out["memberships"].append(
                {
                    "body": row.get("body"),
                    "organization": row.get("organization"),
                    "role": check.choice(row, "role", where, Role, Role.MEMBER),
                    "seat": check.text(row, "seat", where, max_length=200),
                    "subregion": subregion,
                    "term_from": term_from,
                    "term_to": term_to,
                    "status_note": check.text(row, "status_note", where, max_length=200),
                    "elected_at": row.get("elected_at") or None,
                    "source_ref": check.text(row, "source", where, required=True, max_length=500),
                    "note": check.text(row, "note", where),
                }
            )
        out["decisions"] = []
        for i, row in enumerate(data.get("decisions") or [], 1):
            number = str(row.get("number") or "")
            where = f"decision {number or i}"
            if not number:
                check.error(where, "'number' is required")
            commitments = [
                _parse_commitment(check, c, f"{where} commitment {n}")
                for n, c in enumerate(row.get("commitments") or [], 1)
            ]
            out["decisions"].append(
                {
                    "meeting": row.get("meeting"),
                    "kind": check.choice(row, "kind", where, DecisionKind),
                    "number": number,
                    "text": check.text(row, "text", where, required=True),
                    "addressed_to": row.get("addressed_to") or None,
                    "source_ref": check.text(row, "source", where, required=True, max_length=500),
                    "note": check.text(row, "note", where),
                    "commitments": commitments,
                }
            )
        recommendations = data.get("recommendations")
        if recommendations:
            for item in recommendations.get("items") or []:
                number = str(item.get("number") or "")
                where = f"recommendation {number}"
                out["decisions"].append(
                    {
                        "meeting": recommendations.get("meeting"),
                        "kind": DecisionKind.RECOMMENDATION,
                        "number": number,
                        "text": check.text(item, "text", where, required=True),
                        "addressed_to": recommendations.get("addressed_to"),
                        "source_ref": f"{recommendations.get('source', '')}, {number}".strip(", "),
                        "note": check.text(item, "note", where),
                        "commitments": [],
                    }
                )
        out["council_members"] = None
        if data.get("council_members"):
            spec = data["council_members"]
            participants = _read(path.parent / spec["participants_file"])
            out["council_members"] = _parse_participants(check, spec, participants, countries)
            for row in out["council_members"]["organizations"]:
                orgs_seen.add(row["key"])
        errors.extend(check.errors)
        parsed.append(out)
    # references across files
    for out in parsed:
        check = _Check(out["path"].name)
        for body in out["bodies"]:
            for field in ("parent",):
                if body[field] and body[field] not in bodies_seen:
                    check.error(f"body {body['key']}", f"unknown {field} body {body[field]!r}")
            for field in ("host", "organization"):
                key = body[field]
                if key and key not in orgs_seen | known_orgs:
                    check.error(f"body {body['key']}", f"unknown {field} organization {key!r}")
        for meeting in out["meetings"]:
            if meeting["body"] not in bodies_seen:
                check.error(f"meeting {meeting['key']}", f"unknown body {meeting['body']!r}")
        for i, row in enumerate(out["memberships"], 1):
            if row["body"] not in bodies_seen:
                check.error(f"membership {i}", f"unknown body {row['body']!r}")
            if row["organization"] not in orgs_seen | known_orgs:
                check.error(f"membership {i}", f"unknown organization {row['organization']!r}")
            if row["elected_at"] and row["elected_at"] not in meetings_seen:
                check.error(f"membership {i}", f"unknown meeting {row['elected_at']!r}")
        for row in out["decisions"]:
            where = f"decision {row['number']}"
            if row["meeting"] not in meetings_seen:
                check.error(where, f"unknown meeting {row['meeting']!r}")
            if row["addressed_to"] and row["addressed_to"] not in bodies_seen:
                check.error(where, f"unknown body {row['addressed_to']!r}")
            for c in row["commitments"]:
                for field in ("body", "responsible_body", "tracked_body"):
                    if c[field] and c[field] not in bodies_seen:
                        check.error(where, f"unknown {field} {c[field]!r}")
        errors.extend(check.errors)
    return parsed, errors


def _parse_commitment(check: _Check, data: dict, where: str) -> dict:
    rule = check.choice(data, "rule", where, Rule, Rule.REPORTED)
    starts = check.date(data, "starts_on", where)
    due = check.date(data, "due_on", where)
    every = check.number(data, "every_months", where)
    if rule == Rule.MEETINGS:
        if not data.get("tracked_body") or not starts:
            check.error(where, "a commitment met by meetings needs 'tracked_body' and 'starts_on'")
        if not every and not due:
            check.error(where, "a one-off commitment met by meetings needs 'due_on'")
    kinds = data.get("meeting_kinds") or []
    for kind in kinds:
        if kind not in MeetingKind.values:
            check.error(where, f"unknown meeting kind {kind!r}")
    return {
        "title": check.text(data, "title", where, required=True),
        "body": data.get("body"),
        "responsible_body": data.get("responsible_body") or None,
        "tracked_body": data.get("tracked_body") or None,
        "rule": rule,
        "starts_on": starts,
        "due_on": due,
        "every_months": every,
        "meeting_kinds": list(kinds),
        "recurrence_text": check.text(data, "recurrence_text", where, max_length=200),
        "reading": check.text(data, "reading", where),
    }


def _parse_participants(check: _Check, spec: dict, data: dict, countries: set[str]) -> dict:
    """The council's members and focal points (governments) and the IV meeting's participating
    organizations, from the participants' list: organizations and countries only."""
    where_file = spec["participants_file"]
    organizations, members, focal_points, participants = [], [], [], []
    by_key: dict[str, dict] = {}
    for row in data.get("governments") or []:
        where = f"{where_file} government row {row.get('number')}"
        country = row.get("country") or ""
        if country not in countries:
            check.error(where, f"unknown country {country!r}")
            continue
        name = (row.get("organization") or "").strip()
        if not name:
            continue
        key = slugify(f"{country}-{name}")[:80]
        if key not in by_key:
            by_key[key] = {
                "key": key,
                "name": name[:300],
                "acronym": "",
                "kind": OrganizationKind.PUBLIC_AGENCY,
                "country": country,
            }
            organizations.append(by_key[key])
        comment = (row.get("comment") or "").strip()
        source = f"Anexo III, Grupo 1: Gobiernos, fila {row.get('number')}"
        participants.append((key, ParticipantKind.GOVERNMENT, comment, source))
        if comment == spec.get("focal_point_comment"):
            members.append({"organization": key, "country": country, "source_ref": source})
            focal_points.append(
                {
                    "organization": key,
                    "country": country,
                    "unit": (row.get("unit") or "")[:300],
                    "position": comment,
                    "source_ref": source,
                }
            )
    for row in data.get("others") or []:
        where = f"{where_file} row {row.get('number')}"
        name = (row.get("organization") or "").strip()
        if not name:
            continue
        country = row.get("country") or ""
        if country and country not in countries:
            check.error(where, f"unknown country {country!r}")
            continue
        kind = row.get("kind")
        if kind not in PARTICIPANT_KINDS:
            check.error(where, f"unknown kind {kind!r}")
            continue
        key = slugify(f"{country or 'alc'}-{name}")[:80]
        if key not in by_key:
            by_key[key] = {
                "key": key,
                "name": name[:300],
                "acronym": "",
                "kind": ORGANIZATION_KINDS[kind],
                "country": country or None,
            }
            organizations.append(by_key[key])
        source = f"Anexo III, {row.get('group_text', '')}, fila {row.get('number')}"
        participants.append((key, PARTICIPANT_KINDS[kind], "", source))
    # one participation row per organization: how many of its people were on the list
    counted: dict[str, dict] = {}
    for key, kind, comment, source in participants:
        entry = counted.setdefault(
            key, {"organization": key, "kind": kind, "count": 0, "texts": [], "sources": []}
        )
        entry["count"] += 1
        if comment and comment not in entry["texts"]:
            entry["texts"].append(comment)
        entry["sources"].append(source.rsplit("fila ", 1)[-1])
    return {
        "body": spec["body"],
        "meeting": spec["meeting"],
        "organizations": organizations,
        "members": members,
        "focal_points": focal_points,
        "participation": list(counted.values()),
    }


# ---------------------------------------------------------------- writing


REASON = "loadnetwork"  # in the history of what the load writes


def _write_organization(report: LoadReport, data: dict) -> Organization:
    country = Country.objects.filter(code=data["country"]).first() if data["country"] else None
    return _upsert(
        report,
        Organization,
        {"key": data["key"]},
        {
            "name": data["name"],
            "acronym": data["acronym"],
            "kind": data["kind"],
            "country": country,
        },
        reason=REASON,
    )


def _validated(instance) -> None:
    try:
        instance.full_clean(validate_unique=False, validate_constraints=True)
    except ValidationError as exc:
        raise SourceFileError([f"{instance._meta.model_name} {instance}: {exc.messages}"]) from None


def _upsert_valid(report, model, lookup: dict, values: dict):
    instance = model.objects.filter(**lookup).first()
    probe = instance or model(**lookup)
    for key, value in values.items():
        setattr(probe, key, value)
    _validated(probe)
    return _upsert(report, model, lookup, values, reason=REASON)


def load_network(paths=None) -> LoadReport:
    """Check every file, then write them in one transaction; raise SourceFileError on errors."""
    paths = list(paths) if paths is not None else network_files()
    parsed, errors = parse_files(paths)
    if errors:
        raise SourceFileError(errors)
    report = LoadReport()
    with transaction.atomic():
        orgs: dict[str, Organization] = {}
        for out in parsed:
            for data in out["organizations"]:
                orgs[data["key"]] = _write_organization(report, data)
            if out["council_members"]:
                for data in out["council_members"]["organizations"]:
                    orgs[data["key"]] = _write_organization(report, data)

        def org(key):
            if key not in orgs:
                orgs[key] = Organization.objects.get(key=key)
            return orgs[key]

        bodies: dict[str, Body] = {}
        for out in parsed:
            for data in _parents_first([b for o in [out] for b in o["bodies"]]):
                values = {
                    k: data[k]
                    for k in (
                        "name",
                        "acronym",
                        "kind",
                        "scope",
                        "status",
                        "founding_act",
                        "founded_on",
                        "description",
                        "source_ref",
                        "note",
                    )
                }
                values["country_id"] = data["country"]
                values["parent"] = bodies.get(data["parent"]) if data["parent"] else None
                if data["parent"] and values["parent"] is None:
                    values["parent"] = Body.objects.get(key=data["parent"])
                values["host"] = org(data["host"]) if data["host"] else None
                values["organization"] = org(data["organization"]) if data["organization"] else None
                bodies[data["key"]] = _upsert_valid(report, Body, {"key": data["key"]}, values)
        meetings: dict[str, Meeting] = {}
        listed_at = {o["council_members"]["meeting"] for o in parsed if o["council_members"]}
        for out in parsed:
            for data in out["meetings"]:
                values = {
                    k: data[k]
                    for k in (
                        "number",
                        "name",
                        "kind",
                        "status",
                        "starts_on",
                        "ends_on",
                        "place",
                        "total_participants",
                        "source_ref",
                        "note",
                    )
                }
                values["country_id"] = data["country"]
                values["body"] = bodies[data["body"]]
                values["is_virtual"] = data["kind"] == MeetingKind.VIRTUAL
                meeting = _upsert_valid(report, Meeting, {"key": data["key"]}, values)
                meetings[data["key"]] = meeting
                _sync_agenda(report, meeting, data["agenda"])
                if data["key"] not in listed_at:  # else written with the list, below
                    _sync_participation(report, meeting, data["participation"], org)
        for out in parsed:
            for data in out["memberships"]:
                _write_membership(report, data, bodies, meetings, org)
            council = out["council_members"]
            if council:
                body, meeting = bodies[council["body"]], meetings[council["meeting"]]
                for row in council["members"]:
                    _write_membership(
                        report,
                        {
                            "body": council["body"],
                            "organization": row["organization"],
                            "role": Role.MEMBER,
                            "seat": row["country"],
                            "subregion": None,
                            "term_from": None,
                            "term_to": None,
                            "status_note": "",
                            "elected_at": None,
                            "source_ref": row["source_ref"],
                            "note": "Miembro del Consejo por su país según la lista de "
                            "participantes de la IV Reunión («Punto Focal CPS»).",
                        },
                        bodies,
                        meetings,
                        org,
                    )
                for row in council["focal_points"]:
                    _upsert_valid(
                        report,
                        FocalPoint,
                        {"body": body, "country_id": row["country"]},
                        {
                            "organization": org(row["organization"]),
                            "unit": row["unit"],
                            "position": row["position"],
                            "source_ref": row["source_ref"],
                        },
                    )
                listed = [
                    {
                        "kind": row["kind"],
                        "count": row["count"],
                        "text": "; ".join(row["texts"]),
                        "source_ref": "Anexo III, filas " + ", ".join(row["sources"]),
                        "organization": row["organization"],
                    }
                    for row in council["participation"]
                ]
                counts = [
                    {**p, "organization": None}
                    for p in next(
                        m for o in parsed for m in o["meetings"] if m["key"] == council["meeting"]
                    )["participation"]
                ]
                _sync_participation(report, meeting, counts + listed, org)
        for out in parsed:
            for position, data in enumerate(out["decisions"], 1):
                _write_decision(report, data, position, bodies, meetings)
    return report


def _parents_first(bodies: list[dict]) -> list[dict]:
    keys = {b["key"] for b in bodies}
    done: set[str] = set()
    ordered = []
    pending = list(bodies)
    while pending:
        progressed = False
        for body in list(pending):
            if body["parent"] is None or body["parent"] not in keys or body["parent"] in done:
                ordered.append(body)
                done.add(body["key"])
                pending.remove(body)
                progressed = True
        if not progressed:
            raise SourceFileError([f"bodies form a cycle: {', '.join(b['key'] for b in pending)}"])
    return ordered


def _sync_agenda(report: LoadReport, meeting: Meeting, items: list[dict]) -> None:
    wanted = [(i["day"], i["time"], i["title"], i["source_ref"]) for i in items]
    current = list(meeting.agenda.values_list("day", "time", "title", "source_ref"))
    if wanted == current:
        return
    meeting.agenda.all().delete()
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, position=n, day=d, time=t, title=title, source_ref=ref)
        for n, (d, t, title, ref) in enumerate(wanted, 1)
    )
    report.count("updated", "agendas")


def _sync_participation(report: LoadReport, meeting: Meeting, rows: list[dict], org) -> None:
    wanted = sorted(
        (
            (
                str(r["kind"]),
                org(r["organization"]).pk if r["organization"] else None,
                r["count"],
                r["text"][:300],
                r["source_ref"][:500],
            )
            for r in rows
        ),
        key=repr,
    )
    current = sorted(
        meeting.participation.values_list("kind", "organization_id", "count", "text", "source_ref"),
        key=repr,
    )
    if wanted == current:
        return
    meeting.participation.all().delete()
    Participation.objects.bulk_create(
        Participation(
            meeting=meeting,
            kind=kind,
            organization_id=organization,
            count=count,
            text=text,
            source_ref=ref,
        )
        for kind, organization, count, text, ref in wanted
    )
    report.count("updated", "participation")


def _write_membership(report, data: dict, bodies, meetings, org) -> Membership:
    subregion = Subregion.objects.get(key=data["subregion"]) if data["subregion"] else None
    return _upsert_valid(
        report,
        Membership,
        {
            "body": bodies[data["body"]],
            "organization": org(data["organization"]),
            "role": data["role"],
            "seat": data["seat"],
            "term_from": data["term_from"],
        },
        {
            "subregion": subregion,
            "term_to": data["term_to"],
            "status_note": data["status_note"],
            "elected_at": meetings[data["elected_at"]] if data["elected_at"] else None,
            "source_ref": data["source_ref"],
            "note": data["note"],
        },
    )


def _write_decision(report, data: dict, position: int, bodies, meetings) -> Decision:
    meeting = meetings[data["meeting"]]
    decision = _upsert_valid(
        report,
        Decision,
        {"meeting": meeting, "kind": data["kind"], "number": data["number"]},
        {
            "position": position,
            "text": data["text"],
            "addressed_to": bodies[data["addressed_to"]] if data["addressed_to"] else None,
            "source_ref": data["source_ref"],
            "note": data["note"],
        },
    )
    for c in data["commitments"]:
        body = bodies[c["body"]]
        if c["due_on"] and c["due_on"] < meeting.starts_on:
            raise SourceFileError(
                [f"commitment {c['title']!r}: due {c['due_on']} before its meeting"]
            )
        _upsert_valid(
            report,
            Commitment,
            {"body": body, "decision": decision, "title": c["title"]},
            {
                "responsible_body": bodies[c["responsible_body"]]
                if c["responsible_body"]
                else None,
                "tracked_body": bodies[c["tracked_body"]] if c["tracked_body"] else None,
                "rule": c["rule"],
                "starts_on": c["starts_on"],
                "due_on": c["due_on"],
                "every_months": c["every_months"],
                "meeting_kinds": c["meeting_kinds"],
                "recurrence_text": c["recurrence_text"],
                "reading": c["reading"],
                "source_ref": data["source_ref"],
            },
        )
    return decision
