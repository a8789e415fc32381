"""``custodywatch agent ...``: analyze a video, run as a service, manage reference views.

    custodywatch agent analyze VIDEO [--reference IMAGE] [--json]
    custodywatch agent run --config FILE
    custodywatch agent reference --config FILE --camera CODE [--approve | --set IMAGE]
        [--by NAME] [--export PNG]

Exit 0 on success, 2 on bad input with a message naming the file or field.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from custodywatch.agent.analyze import BadInput, analyze_video, load_reference, write_result
from custodywatch.agent.config import ConfigError, load_config, prepare_state_dir
from custodywatch.agent.references import ReferenceError, ReferenceStore
from custodywatch.agent.service import EXIT_THREAD_DIED, run_agent

BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(BAD_INPUT, f"{self.prog}: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="custodywatch agent", description="CustodyWatch edge agent.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    analyze = commands.add_parser(
        "analyze", help="classify the health of one video or stream; list its room markers")
    analyze.add_argument("video", metavar="VIDEO", help="file path or stream URL")
    analyze.add_argument("--reference", metavar="IMAGE", help="the camera's approved view")
    analyze.add_argument("--json", action="store_true", help="JSON lines (CONTRACTS.md)")
    run = commands.add_parser("run", help="run as a service")
    run.add_argument("--config", required=True, metavar="FILE")
    run.add_argument("--verbose", action="store_true")
    reference = commands.add_parser("reference", help="approve, replace or export a reference")
    reference.add_argument("--config", required=True, metavar="FILE")
    reference.add_argument("--camera", required=True, metavar="CODE")
    action = reference.add_mutually_exclusive_group()
    action.add_argument("--approve", action="store_true", help="approve the learned view")
    action.add_argument("--set", metavar="IMAGE", help="replace the view with this image")
    reference.add_argument("--by", default="", metavar="NAME", help="who approves")
    reference.add_argument("--export", metavar="PNG", help="write the stored view here")
    return parser


def _analyze(args: argparse.Namespace) -> int:
    reference = load_reference(args.reference) if args.reference else None
    result = analyze_video(args.video, reference)
    write_result(result, sys.stdout, args.json)
    return 0


def _reference(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.camera not in {camera.code for camera in config.cameras}:
        raise BadInput(f"{args.config}: --camera: {args.camera!r} is not in cameras")
    store = ReferenceStore(config.references_dir)
    if (args.approve or args.set) and not args.by:
        raise BadInput("--by: say who approves the reference")
    if args.approve:
        store.approve(args.camera, args.by)
    elif args.set:
        try:
            image = Path(args.set).read_bytes()
        except OSError as error:
            raise BadInput(f"{args.set}: --set: {error.strerror}") from error
        store.replace(args.camera, image, args.by)
    stored = store.load(args.camera)
    if stored is None:
        print(f"camera {args.camera}: no reference yet (learned from the first live minute)")
        return 0
    if args.export:
        Path(args.export).write_bytes(store.png(args.camera) or b"")
    by = stored.meta.get("approved_by")
    print(f"camera {args.camera}: {stored.status}" + (f" by {by}" if by else ""))
    return 0


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    try:
        if args.command == "analyze":
            return _analyze(args)
        if args.command == "reference":
            return _reference(args)
        config = load_config(args.config)
        prepare_state_dir(config)
        logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                            format="%(asctime)s %(levelname)s %(threadName)s %(message)s")
        code = run_agent(config)
    except (BadInput, ConfigError, ReferenceError) as error:
        print(f"custodywatch agent: {error}", file=sys.stderr)
        return BAD_INPUT
    if code == EXIT_THREAD_DIED:
        # A thread died: leave now, even if another is stuck in a read, so the supervisor
        # restarts the agent (a normal exit would wait for every thread).
        logging.shutdown()
        sys.stderr.flush()
        os._exit(code)
    return code
