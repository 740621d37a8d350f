"""`interdict watchlist`, `resolve ...` and `graph ...`: screening matches, entity resolution, link analysis."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from interdict.cli.common import USER, console, emit_json, open_node

app = typer.Typer()
resolve_app = typer.Typer(help="Entity resolution: candidate duplicates across agencies, judgements, merges.", no_args_is_help=True)
graph_app = typer.Typer(help="Link analysis over the entities you may see: paths and neighbourhoods.", no_args_is_help=True)


@app.command()
def watchlist(
    user: str = USER,
    vessel: int | None = typer.Option(None, "--vessel", help="Only this MMSI's matches."),
    entity: str | None = typer.Option(None, "--entity", help="Only matches of or against this entity."),
    kind: str | None = typer.Option(None, "--kind", help="vessel (AIS vessels) or entity (intelligence records)."),
    listed: bool = typer.Option(False, "--listed", help="Only matches with sanctions-listed entities."),
    rescreen: bool = typer.Option(False, "--rescreen", help="Screen every vessel and entity again first."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Screening matches made on ingest (AIS vessels and entities against the node's entities) that
    you may see, best first, each with what matched."""
    from interdict.errors import ValidationError

    if kind not in (None, "vessel", "entity"):
        raise ValidationError(f"--kind must be vessel or entity, not {kind!r}", where="--kind")
    node = open_node(create=False)
    me = node.as_user(user)
    if rescreen:
        with console.status("Screening vessels and entities…", spinner="dots"):
            node.screen()
        # the node's totals span every audience: tell the user only what they may see
        console.print(f"screened every vessel and entity again, per audience: {len(me.watchlist()):,} matches visible to you",
                      highlight=False)
    subject_kind = "vessel" if vessel is not None else kind
    matches = me.watchlist(subject_kind=subject_kind, subject=str(vessel) if vessel is not None else None,
                           listed=True if listed else None)
    if entity:
        matches = [m for m in matches if entity in (m["subject"], m["entity_id"])]
    if as_json:
        emit_json(matches)
        return
    table = Table("score", "subject", "basis", "value", "matched", "entity", "listed", "sources", title="Watchlist matches")
    for m in matches:
        subject = m.get("subject_caption", "") + f" ({m['subject']})" if m["subject_kind"] == "entity" else f"MMSI {m['subject']}"
        table.add_row(f"{m['score']:.2f}", subject, m["basis"], m["query"], m["matched"], f"{m['caption']} ({m['entity_id']})",
                      "yes" if m["listed"] else "", "; ".join(m["sources"]))
    console.print(table)


@resolve_app.command("candidates")
def resolve_candidates(
    user: str = USER,
    entity: str | None = typer.Option(None, "--entity", help="Candidates for this entity (also screens its names live)."),
    limit: int = typer.Option(50),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Candidate duplicates across sources, best first, not yet judged."""
    me = open_node(create=False).as_user(user)
    candidates = me.duplicate_candidates(entity_id=entity, limit=limit)
    if as_json:
        emit_json(candidates)
        return
    table = Table("score", "left", "right", "why", title="Candidate duplicates")
    for c in candidates:
        table.add_row(f"{c['score']:.2f}", f"{c['left_caption']} ({c['left']})\n{'; '.join(c['left_sources'])}",
                      f"{c['right_caption']} ({c['right']})\n{'; '.join(c['right_sources'])}", c["explanation"])
    console.print(table)


@resolve_app.command("judge")
def resolve_judge(
    left: str = typer.Argument(..., help="Entity id."),
    right: str = typer.Argument(..., help="Entity id."),
    judgement: str = typer.Argument(..., help="same, different or unsure."),
    user: str = USER,
    note: str | None = typer.Option(None, help="Why (kept with the judgement)."),
    tlp: str = typer.Option("GREEN", help="Marking of the judgement itself."),
    releasable_to: list[str] | None = typer.Option(None, "--releasable-to", help="Agency or country codes (repeatable)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Record your judgement of a pair; 'same' merges them (reversibly: see `resolve undo`)."""
    from interdict.markings import Marking

    me = open_node(create=False).as_user(user)
    record = me.judge(left, right, judgement, note=note,
                      marking=Marking.parse({"tlp": tlp, "releasable_to": releasable_to or []}))
    if as_json:
        emit_json({**record, "cluster": me.cluster(left)})
        return
    cluster = me.cluster(left)
    console.print(f"judgement {record['id']}: {left} {judgement} {right}; {left} is now in {cluster['canonical_id']} "
                  f"({len(cluster['members'])} members)", highlight=False)


@resolve_app.command("undo")
def resolve_undo(judgement_id: str = typer.Argument(...), user: str = USER,
                 as_json: bool = typer.Option(False, "--json")) -> None:
    """Undo (retract) one of your agency's judgements; the merge it made is split again."""
    record = open_node(create=False).as_user(user).undo_judgement(judgement_id)
    if as_json:
        emit_json(record)
        return
    console.print(f"judgement {judgement_id} undone by {record['retracted_by']}", highlight=False)


@resolve_app.command("judgements")
def resolve_judgements(
    user: str = USER,
    entity: str | None = typer.Option(None, "--entity", help="Only judgements about this entity's cluster."),
    include_retracted: bool = typer.Option(False, "--all", help="Include undone and superseded judgements."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Judgements you may see (on entities you may see), newest first."""
    items = open_node(create=False).as_user(user).judgements(entity_id=entity, include_retracted=include_retracted)
    if as_json:
        emit_json(items)
        return
    table = Table("id", "left", "judgement", "right", "who", "when", "note", "undone", title="Judgements")
    for j in items:
        table.add_row(j["id"], j["left"], j["judgement"], j["right"], f"{j['user']} ({j['agency']})", j["at"][:19],
                      j["note"] or "", j["retracted_at"][:19] if j["retracted_at"] else "")
    console.print(table)


@resolve_app.command("show")
def resolve_show(entity_id: str = typer.Argument(...), user: str = USER,
                 as_json: bool = typer.Option(False, "--json")) -> None:
    """The entity merged with everything judged the same as it (only statements you may see)."""
    me = open_node(create=False).as_user(user)
    cluster = me.cluster(entity_id)
    view = me.merged_entity(entity_id)
    if as_json:
        emit_json({**view.to_dict(), "canonical_id": cluster["canonical_id"], "members": cluster["members"]})
        return
    console.print(f"[bold]{view.caption}[/] {view.schema} {cluster['canonical_id']} — members: {', '.join(cluster['members'])}")
    table = Table("property", "value", "entity", "source", "grade")
    for prop, stmts in view.properties.items():
        for s in stmts:
            table.add_row(view.prop_label(prop), s.display, s.entity_id, s.source.title if s.source else "", str(s.grade))
    console.print(table)


@graph_app.command("path")
def graph_path(
    source: str = typer.Argument(..., help="Entity id to start from."),
    target: str = typer.Argument(..., help="Entity id to reach."),
    user: str = USER,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The shortest chain of links between two entities, each link with its source and grade."""
    result = open_node(create=False).as_user(user).graph().path(source, target)
    if as_json:
        emit_json(result)
        return
    console.print(result["text"], highlight=False)
    for step in result["steps"]:
        for s in step["statements"]:
            console.print(f"  {step['from']['caption']} -[{s['prop']}]- {step['to']['caption']}: grade {s['grade']}, "
                          f"{s['source'] or 'no source'}, {_marking_label(s['marking'])}", highlight=False)


def _marking_label(marking: dict[str, Any]) -> str:
    from interdict.markings import Marking

    return Marking.parse(marking).label


@graph_app.command("neighbours")
def graph_neighbours(
    entity: str = typer.Argument(..., help="Entity id at the centre."),
    depth: int = typer.Option(1, help="Links to follow (1-4)."),
    user: str = USER,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Entities within DEPTH links, with degree centrality and community."""
    result = open_node(create=False).as_user(user).graph().neighbours(entity, depth)
    if as_json:
        emit_json(result)
        return
    table = Table("distance", "entity", "schema", "centrality", "community")
    for n in result["nodes"]:
        table.add_row(str(n["distance"]), f"{n['caption']} ({n['id']})", n["schema"] or "", f"{n['degree_centrality']:.3f}",
                      str(n["community"]))
    console.print(table)
