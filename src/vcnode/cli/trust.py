"""``vcnode trust …``: publish and withdraw this node's trust statements, name its trust anchors, list the
statements it holds, and explain a credential's recognition as a readable tree."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from vcnode.cli.common import SUITES, CliError, actor, print_json, read_json_file, with_node
from vcnode.config import update_config_file

MARK = {"ok": "ok", "failed": "FAILED", "unchecked": "UNCHECKED"}
VERDICT = {True: "RECOGNISED", False: "NOT RECOGNISED", "unchecked": "UNCHECKED (not every link could be checked)"}


async def cmd_publish(args: argparse.Namespace) -> int:
    """Sign, anchor and replicate a statement file (framework, accreditation, agreement, pathway, endorsement)."""
    document = read_json_file(args.file)

    async def action(node: Any) -> int:
        signed = await node.publish_statement(document, suite=args.suite)
        if args.json:
            print_json(signed)
            return 0
        kind = next((t for t in signed.get("type", []) if t != "VerifiableCredential"), "statement")
        print(f"published {kind} {signed['id']}")
        print(f"  issuer {signed['issuer'] if isinstance(signed['issuer'], str) else signed['issuer'].get('id')}; "
              "anchored in its log and announced to peers; withdraw with 'vcnode trust withdraw ID'")
        return 0
    return await with_node(args, action)


async def cmd_withdraw(args: argparse.Namespace) -> int:
    """Withdraw one of this node's statements (revoke its credential; peers see it through the status list)."""
    async def action(node: Any) -> int:
        await node.trust.ready()
        if node.trust.document(args.statement_id) is None:
            raise CliError(f"this node holds no trust statement {args.statement_id[:200]}")
        update = await node.status.update(args.statement_id, "revocation", 1, actor=actor(), reason=args.reason)
        await node.status.publish_changed()  # re-sign and anchor now; a running server announces it
        unchanged = " (it already was)" if update.before == update.after else ""
        print(f"withdrew {args.statement_id}{unchanged}")
        return 0
    return await with_node(args, action)


async def cmd_list(args: argparse.Namespace) -> int:
    """The statements this node holds, its own and replicated ones, with what their checks found."""
    async def action(node: Any) -> int:
        await node.trust.ready()
        statements = node.trust.statements()
        await node.trust.confirm([s["id"] for s in statements])
        statements = node.trust.statements()
        if args.json:
            print_json(statements)
            return 0
        if not statements:
            print("no trust statements held")
        for s in statements:
            print(f"{s['type'] or '?':<34} {s['id']}")
            print(f"{'':<34} {s['issuer']} -> {s['subject']}  proof={s['proof']} status={s['status']} "
                  f"anchor seq {s['anchor']['seq']}")
        return 0
    return await with_node(args, action)


def _anchors_command(change: str) -> Any:
    async def command(args: argparse.Namespace) -> int:
        from vcnode.config import load_config

        config = load_config(args.home)
        home: Path = config.home
        anchors = list(config.trust_anchors)
        if change == "add":
            if not args.did.startswith("did:"):
                raise CliError(f"a trust anchor is a DID, got {args.did[:120]!r}")
            anchors = anchors if args.did in anchors else [*anchors, args.did]
        elif change == "remove":
            if args.did not in anchors:
                raise CliError(f"{args.did[:120]} is not a trust anchor of this node")
            anchors.remove(args.did)
        if change != "list":
            update_config_file(home, trust_anchors=anchors)
            print(f"trust anchors: {', '.join(anchors) or 'none'} (a running node picks this up when restarted)")
        elif args.json:
            print_json(anchors)
        else:
            print("\n".join(anchors) if anchors else "no trust anchors: recognition reports will find no path")
        return 0

    command.__doc__ = f"{change.capitalize()} this node's trust anchors (the regulators it trusts directly)."
    return command


async def cmd_explain(args: argparse.Namespace) -> int:
    """Verify a credential and explain its recognition: the trust path as a tree, the award, its equivalent."""
    from vcnode.trust.service import RecognitionRequest

    credential = read_json_file(args.file)

    async def action(node: Any) -> int:
        report = await node.credentials.verify_credential(credential, {})
        recognition = await node.trust.section(credential, RecognitionRequest(args.framework))
        if args.json:
            print_json({**report.to_json(), "recognition": recognition})
        else:
            print(f"{args.file}: {'VERIFIED' if report.verified else 'NOT VERIFIED'} "
                  f"({', '.join(e.code for e in report.errors) or 'proof, status and validity checked'})")
            sys.stdout.write("\n".join(explain_lines(recognition)) + "\n")
        return 0 if recognition["recognised"] is True else 1
    return await with_node(args, action)


def explain_lines(recognition: dict[str, Any]) -> list[str]:
    """A recognition report for people: the verdict, the trust path as a tree from the anchor down to the
    issuer (each hop with its result, scope and evidence), reasons, the award and its equivalent."""
    lines = [f"recognition: {VERDICT[recognition['recognised']]}"]
    path = recognition.get("path")
    if path:
        lines.append(f"└─ {path['anchor']}  (trust anchor of this node)")
        indent = "   "
        for hop in path["hops"]:
            verb = "recognises" if hop["type"] == "RecognitionAgreementCredential" else "accredits"
            lines.append(f"{indent}└─ {verb} {hop['subject']}  [{MARK[hop['result']]}]")
            lines.extend(f"{indent}   {text}" for text in _hop_details(hop))
            indent += "   "
    elif recognition.get("issuer"):
        lines.append(f"└─ no trust path from {', '.join(recognition['anchors']) or 'any anchor'} to "
                     f"{recognition['issuer']}")
    for reason in recognition.get("reasons", []):
        lines.append(f"reason: {reason['code']}: {reason['message']}")
    for rejected in recognition.get("rejectedPaths", [])[:3]:
        failing = [hop for hop in rejected["hops"] if hop["result"] != "ok"]
        why = "; ".join(hop.get("reason", hop["result"]) for hop in failing)
        lines.append(f"other path via {rejected['anchor']}: {MARK[rejected['result']]}" + (f" ({why})" if why else ""))
    award, equivalent = recognition.get("award") or {}, recognition.get("equivalent")
    lines.append(f"award: {_level(award.get('frameworkCode') or award.get('framework'), award.get('level'))}"
                 f"{_credits(award.get('credits'), award.get('creditUnit'))}")
    if equivalent:
        framework = equivalent.get("frameworkCode") or equivalent.get("framework")
        lines.append(f"equivalent: {_level(framework, equivalent.get('level'))}"
                     f" ({equivalent['levelBasis']}){_credits(equivalent.get('credits'), None)}"
                     + (f" ({equivalent['creditsBasis']})" if equivalent.get("credits") is not None else ""))
    completeness = recognition.get("completeness") or {}
    if completeness:
        missing = completeness.get("missing", [])
        lines.append(f"EU micro-credential elements: {len(completeness.get('present', []))} of "
                     f"{len(completeness.get('elements', []))} present" + (f"; missing {', '.join(missing)}" if missing
                                                                          else ""))
    for signal in recognition.get("qualitySignals", []):
        lines.append(f"quality signal: {signal['kind']} by {signal['issuer']}: {MARK[signal['result']]}")
    for warning in recognition.get("warnings", []):
        lines.append(f"warning: {warning['code']}: {warning['message']}")
    return lines


def _hop_details(hop: dict[str, Any]) -> list[str]:
    evidence = hop.get("evidence", {})
    out = [f"statement {hop['statement']} by {hop['issuer']}"]
    scope = evidence.get("scope")
    if scope:
        parts = [f"{scope['framework']} ≤ {scope['maxLevel']}" if scope.get("maxLevel") else scope.get("framework")]
        parts += [", ".join(scope.get("fieldOfStudy", [])), ", ".join(scope.get("jurisdiction", []))]
        out.append("scope: " + "; ".join(p for p in parts if p))
    status_check = evidence.get("statusCheck", {})
    checks = [f"proof {evidence.get('proof')}", f"status {evidence.get('status')}"
              + (f" (list from {status_check['source']})" if status_check.get("source") else "")]
    if evidence.get("validUntil"):
        checks.append(f"valid until {evidence['validUntil']}")
    anchor = evidence.get("anchor")
    if anchor:
        checks.append(f"anchored seq {anchor['seq']} ({evidence.get('source', 'replica')})")
    out.append(", ".join(checks))
    out.extend(f"{reason['code']}: {reason['message']}" for reason in hop.get("reasons", []))
    return out


def _level(framework: str | None, level: str | None) -> str:
    if framework is None:
        return "no level found"
    return f"{framework} level {level}" if level is not None else f"{framework}, no level (no mapping)"


def _credits(credits: float | None, unit: str | None) -> str:
    if credits is None:
        return ""
    return f", {credits:g} credits" + (f" ({unit})" if unit else "")


def add_commands(commands: Any) -> None:
    """Register ``vcnode trust …``."""
    trust = commands.add_parser("trust", help="trust statements, anchors and recognition").add_subparsers(
        dest="trust_command", required=True, metavar="SUBCOMMAND", help="what to do")
    publish = trust.add_parser("publish", help="sign, anchor and replicate a statement file")
    publish.add_argument("file", metavar="FILE", help="an unsigned statement credential (JSON, see docs/trust.md)")
    publish.add_argument("--suite", choices=SUITES, default=SUITES[0], metavar="SUITE",
                         help=f"proof suite: {', '.join(SUITES)} (default {SUITES[0]})")
    publish.add_argument("--json", action="store_true", help="print the signed statement")
    publish.set_defaults(run=cmd_publish)
    withdraw = trust.add_parser("withdraw", help="withdraw one of this node's statements")
    withdraw.add_argument("statement_id", metavar="ID", help="the statement's id (from 'trust list')")
    withdraw.add_argument("--reason", metavar="TEXT", help="recorded in the status audit log")
    withdraw.set_defaults(run=cmd_withdraw)
    listing = trust.add_parser("list", help="the statements this node holds")
    listing.add_argument("--json", action="store_true", help="the statements as JSON")
    listing.set_defaults(run=cmd_list)
    anchors = trust.add_parser("anchors", help="the regulators this node trusts directly").add_subparsers(
        dest="anchors_command", required=True, metavar="SUBCOMMAND", help="what to do")
    for change in ("add", "remove"):
        parser = anchors.add_parser(change, help=f"{change} a trust anchor")
        parser.add_argument("did", metavar="DID", help=f"the DID to {change}")
        parser.set_defaults(run=_anchors_command(change))
    anchors_list = anchors.add_parser("list", help="list the trust anchors")
    anchors_list.add_argument("--json", action="store_true", help="the anchors as JSON")
    anchors_list.set_defaults(run=_anchors_command("list"))
    explain = trust.add_parser("explain", help="explain a credential's recognition as a tree")
    explain.add_argument("file", metavar="FILE", help="a credential file")
    explain.add_argument("--framework", metavar="FRAMEWORK", help="express the award in this framework (id or code)")
    explain.add_argument("--json", action="store_true", help="the verification report with its recognition")
    explain.set_defaults(run=cmd_explain)
