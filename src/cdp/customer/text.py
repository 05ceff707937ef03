"""The compact text view of ``python -m cdp.customer show``."""

from __future__ import annotations

import textwrap

from cdp.customer.lookup import Lookup
from cdp.customer.view import CustomerView, count_kind, display


def render_lookup(lookup: Lookup) -> str:
    """What a look-up found when it is not one customer: no match, or the candidates."""
    lines = []
    if lookup.searched:
        lines.append("searched " + "; ".join(lookup.searched))
    if lookup.note:
        lines.append(lookup.note)
    if not lookup.candidates:
        lines.append("no customer matches")
    elif len(lookup.candidates) > 1:
        lines.append(f"{len(lookup.candidates)} customers match; show one by its id:")
        for c in lookup.candidates:
            lines.append(
                f"  {c.key}  {c.label}  (matched on {c.matched_on}; sources "
                f"{display(list(c.sources))}; last seen {display(c.last_seen_at)})"
            )
    return "\n".join(lines)


def render_customer(view: CustomerView, lookup: Lookup | None = None) -> str:
    """One customer as compact text: the same sections as the web page."""
    out: list[str] = []
    heading = f"customer pseudonym {view.key}" if view.pseudonymized else f"customer {view.key}"
    if view.name:
        heading += f"  {view.name}"
    out.append(heading)
    if lookup is not None and lookup.found is not None:
        out.append(f"found by {lookup.found.matched_on} ({'; '.join(lookup.searched)})")
    for reason in view.reasons:
        out.append(f"! {reason}")

    for section, fields in view.profile:
        filled = [f"{label}: {display(value)}" for label, value in fields if value is not None]
        out.append(f"\n{section}")
        out.extend(
            textwrap.wrap(
                " · ".join(filled) or "—", 98, initial_indent="  ", subsequent_indent="  "
            )
        )

    if not view.pseudonymized:
        out.append("\nConsent (current, per purpose)")
        for c in view.consent:
            since = f" since {display(c['captured_at'])} via {c['capture_source']}" * bool(
                c["captured_at"]
            )
            out.append(f"  {c['purpose']:<20} {c['consent_status']}{since}")

    out.append("\nSegments")
    if not view.segments:
        out.append("  none")
    for s in view.segments:
        exported = ""
        if s["exported"] is not None:
            needs = ", ".join(s["purposes"])
            exported = f"; exported: {'yes' if s['exported'] else 'no'} (needs {needs})"
        out.append(f"  {s['segment_id']} ({s['channel']}{exported})")

    if not view.pseudonymized:
        out.append(f"\nSource records ({len(view.records)})")
        for r in view.records:
            deleted = ", deleted at source" if r["is_deleted_at_source"] else ""
            out.append(
                f"  {r['source']}:{r['record_id']}  observed {display(r['last_observed_at'])}"
                f"{deleted}"
            )
            ids = [
                f"{i['identifier_type']} {i['identifier_value']}"
                + (f" [guarded: {i['guard_reason']}]" if i["guard_reason"] else "")
                for i in r["identifiers"]
            ]
            if ids:
                out.append("      " + "; ".join(ids))

        out.append("\nHow the records were joined")
        if not view.joins:
            out.append("  a single record: nothing to join")
        for j in view.joins:
            out.append(f"  {j['how']}: {j['what']}: {j['outcome']}")
            out.append(f"      {', '.join(j['records'])}")

        out.append("\nId history over runs")
        if not view.id_history:
            out.append("  no change since the id was first issued")
        for h in view.id_history:
            out.append(
                f"  {display(h['changed_at'])}  {h['change_reason']}: {h['previous_customer_id']}"
                f" -> {h['customer_id']} ({h['records_moved']} records)"
            )

    counts = ", ".join(count_kind(kind, n) for kind, n in view.timeline_counts.items())
    shown = (
        f"newest {len(view.timeline)} of {view.timeline_total}"
        if len(view.timeline) < view.timeline_total
        else f"{view.timeline_total}"
    )
    out.append(f"\nTimeline ({shown}: {counts or 'nothing'})")
    for e in view.timeline:
        detail = f"  {e.detail}" if e.detail else ""
        out.append(f"  {display(e.at):<16}  {e.kind:<8} {e.title}{detail}")
    return "\n".join(out)
