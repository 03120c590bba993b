"""``tocsim exercise ...``: run a training exercise turn by turn, or scripted, and debrief it.

Registered by ``tocsim.cli`` through ``EXTRA_COMMANDS``. Exit status: 0 done; 2 bad input (an
unknown team, a menu item not allowed, over budget, a stale turn...: one ``FILE: field:
problem`` line each, and nothing is changed); 130 interrupted (the session is as it was before
the command: every file is written atomically after the step succeeds).
"""

from __future__ import annotations

import argparse
import json
import sys

EXIT_INTERRUPTED = 130

DESCRIPTION = """\
Training exercises (docs/TRAINING.md). A session lives in SESSION_DIR:

  tocsim exercise new EXERCISE.yaml --out SESSION_DIR
  tocsim exercise status SESSION_DIR                      facilitator view (true values)
  tocsim exercise submit SESSION_DIR --team NAME FILE     a team's decisions for this turn
  tocsim exercise brief SESSION_DIR --team NAME           a team's briefing (delayed, noisy)
  tocsim exercise fire SESSION_DIR INJECT                 fire an inject now
  tocsim exercise lock SESSION_DIR                        close submissions
  tocsim exercise advance SESSION_DIR                     simulate the turn
  tocsim exercise rewind SESSION_DIR --turn K [--branch NEW_DIR]
  tocsim exercise play EXERCISE.yaml --decisions FILE --out SESSION_DIR
  tocsim exercise replay SESSION_DIR/log.jsonl --out NEW_DIR
  tocsim exercise debrief SESSION_DIR [--replicates R] [--alternative FILE]"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "exercise",
        help="training exercises: turns, teams, injects, debrief",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    s = sub.add_parser("new", help="start a session")
    s.add_argument("exercise", metavar="EXERCISE.yaml", help="the exercise file (exercises/*.yaml)")
    s.add_argument(
        "--out", required=True, metavar="SESSION_DIR", help="the session folder to create"
    )
    s.set_defaults(func=cmd_new)

    s = sub.add_parser("status", help="the facilitator's view of a session")
    s.add_argument("session", metavar="SESSION_DIR", help="the session folder")
    s.add_argument("--json", action="store_true", help="print the status as JSON")
    s.set_defaults(func=cmd_status)

    s = sub.add_parser("submit", help="submit a team's decisions for the current turn")
    s.add_argument("session", metavar="SESSION_DIR", help="the session folder")
    s.add_argument(
        "--team",
        required=True,
        metavar="NAME",
        help="the team submitting (a name in the exercise file)",
    )
    s.add_argument("file", metavar="FILE", help="the decisions file (YAML) for this turn")
    s.set_defaults(func=cmd_submit)

    s = sub.add_parser("brief", help="a team's briefing after the last turn")
    s.add_argument("session", metavar="SESSION_DIR", help="the session folder")
    s.add_argument("--team", required=True, metavar="NAME", help="the team whose briefing to print")
    s.add_argument("--turn", type=int, metavar="K", help="after turn K (default: the last)")
    s.set_defaults(func=cmd_brief)

    s = sub.add_parser("fire", help="fire an inject now (before the next turn)")
    s.add_argument("session", metavar="SESSION_DIR", help="the session folder")
    s.add_argument(
        "inject", metavar="INJECT", help="the inject to fire now (its name in the exercise file)"
    )
    s.set_defaults(func=cmd_fire)

    s = sub.add_parser("lock", help="close submissions for the current turn")
    s.add_argument("session", metavar="SESSION_DIR", help="the session folder")
    s.set_defaults(func=cmd_lock)

    s = sub.add_parser("advance", help="simulate the current turn (locks it first)")
    s.add_argument("session", metavar="SESSION_DIR", help="the session folder")
    s.set_defaults(func=cmd_advance)

    s = sub.add_parser("rewind", help="go back to the end of turn K (0: the start)")
    s.add_argument("session", metavar="SESSION_DIR", help="the session folder")
    s.add_argument(
        "--turn",
        type=int,
        required=True,
        metavar="K",
        help="the turn to go back to (0 = before the first)",
    )
    s.add_argument(
        "--branch",
        metavar="NEW_DIR",
        help="leave SESSION_DIR as it is and start a branch in NEW_DIR",
    )
    s.set_defaults(func=cmd_rewind)

    s = sub.add_parser("play", help="play a whole scripted exercise")
    s.add_argument("exercise", metavar="EXERCISE.yaml", help="the exercise file (exercises/*.yaml)")
    s.add_argument(
        "--decisions",
        required=True,
        metavar="FILE",
        help="the scripted decisions file (exercises/<name>.decisions.yaml)",
    )
    s.add_argument(
        "--out", required=True, metavar="SESSION_DIR", help="the session folder to create"
    )
    s.add_argument("--turns", type=int, metavar="N", help="play only the first N turns")
    s.set_defaults(func=cmd_play)

    s = sub.add_parser("replay", help="re-run a session from its event log")
    s.add_argument(
        "log", metavar="LOG.jsonl", help="the session's event log (SESSION_DIR/log.jsonl)"
    )
    s.add_argument(
        "--out", required=True, metavar="NEW_DIR", help="the folder for the replayed session"
    )
    s.add_argument(
        "--exercise",
        metavar="EXERCISE.yaml",
        help="the exercise file (default: the path recorded in the log)",
    )
    s.set_defaults(func=cmd_replay)

    s = sub.add_parser("debrief", help="counterfactuals, decision ranking and debrief.html")
    s.add_argument("session", metavar="SESSION_DIR", help="the session folder")
    s.add_argument(
        "--replicates",
        "-r",
        type=int,
        default=20,
        metavar="R",
        help="replicates per arm (default 20)",
    )
    s.add_argument(
        "--alternative",
        action="append",
        default=[],
        metavar="FILE",
        help="a facilitator's alternative decisions file (repeatable)",
    )
    s.add_argument(
        "--no-leave-one-out", action="store_true", help="skip the leave-one-decision-out arms"
    )
    where = s.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        default=2,
        metavar="N",
        help="worker processes of the local Dask cluster (default 2)",
    )
    where.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler")
    s.add_argument(
        "--seed",
        type=int,
        metavar="ROOT",
        help="root of the replicate seeds (default: the session's seed)",
    )
    s.add_argument("--out", metavar="DIR", help="output folder (default SESSION_DIR/debrief)")
    s.add_argument("--quiet", action="store_true", help="print nothing but errors")
    s.set_defaults(func=cmd_debrief)
    return p


def _interrupted(where: str) -> int:
    print(f"interrupted: {where} is as it was before this command", file=sys.stderr)
    return EXIT_INTERRUPTED


def _print_status(ex) -> None:
    from training.briefing import facilitator_markdown

    print(facilitator_markdown(ex.status()))


def cmd_new(args) -> int:
    from training import Exercise

    try:
        ex = Exercise.new(args.exercise, args.out)
    except KeyboardInterrupt:
        return _interrupted(args.out)
    print(
        f"session started in {args.out}: turn 1 of {ex.ex.spec.turns} "
        f"({ex.ex.spec.turn_weeks} weeks each); teams: {', '.join(ex.ex.teams)}"
    )
    return 0


def cmd_status(args) -> int:
    from training import Exercise

    ex = Exercise.open(args.session)
    if args.json:
        print(json.dumps(ex.status(), indent=1, default=str))
    else:
        _print_status(ex)
    return 0


def cmd_submit(args) -> int:
    from training import Exercise

    ex = Exercise.open(args.session)
    rec = ex.submit(args.team, args.file)
    print(
        f"{args.team}: {len(rec['decisions'])} decisions, {len(rec['stop'])} stops for turn "
        f"{ex.turn}; committed {ex.committed(args.team):,.0f} of "
        f"{ex.team_budget(args.team):,.0f} USD/week"
    )
    return 0


def cmd_brief(args) -> int:
    from training import Exercise
    from training.briefing import team_markdown

    ex = Exercise.open(args.session)
    print(team_markdown(ex.brief(args.team, args.turn)))
    return 0


def cmd_fire(args) -> int:
    from training import Exercise

    ex = Exercise.open(args.session)
    a = ex.fire_inject(args.inject)
    print(f"inject {args.inject} fired at week {a['week']}")
    return 0


def cmd_lock(args) -> int:
    from training import Exercise

    ex = Exercise.open(args.session)
    ex.lock()
    print(f"turn {ex.turn} locked")
    return 0


def cmd_advance(args) -> int:
    from training import Exercise

    ex = Exercise.open(args.session)
    turn = ex.turn
    try:
        ex.advance()
    except KeyboardInterrupt:
        return _interrupted(args.session)
    print(
        f"turn {turn} played (weeks {ex.ex.turn_start(turn)}-{ex.model.week - 1}); "
        f"briefings in {args.session}/briefs/turn-{turn:02d}/"
    )
    _print_status(ex)
    return 0


def cmd_rewind(args) -> int:
    from training import Exercise

    ex = Exercise.open(args.session)
    if args.branch:
        new = ex.branch(args.turn, args.branch)
        print(
            f"branch of {args.session} at turn {args.turn} started in {args.branch} (turn "
            f"{new.turn} next)"
        )
    else:
        ex.rewind(args.turn)
        print(f"rewound {args.session} to the end of turn {args.turn} (turn {ex.turn} next)")
    return 0


def cmd_play(args) -> int:
    from training.script import play_script

    try:
        ex = play_script(args.exercise, args.decisions, args.out, turns=args.turns)
    except KeyboardInterrupt:
        return _interrupted(args.out)  # nothing half-played is left (one_command_session)
    print(f"played {ex.turn - 1} turns into {args.out}")
    _print_status(ex)
    return 0


def cmd_replay(args) -> int:
    from training import replay

    try:
        ex = replay(args.log, args.out, exercise=args.exercise)
    except KeyboardInterrupt:
        return _interrupted(args.out)
    print(f"replayed {len(ex.log)} events into {args.out}")
    return 0


def cmd_debrief(args) -> int:
    from analysis.runner import RichProgress
    from training.debrief import debrief

    progress = None if args.quiet else RichProgress("debrief runs")
    try:
        res = debrief(
            args.session,
            args.replicates,
            alternatives=args.alternative,
            out=args.out,
            workers=None if args.scheduler else args.workers,
            scheduler=args.scheduler,
            seed=args.seed,
            leave_one_out=not args.no_leave_one_out,
            progress=progress,
        )
    except KeyboardInterrupt:
        print(
            "interrupted: finished debrief runs are stored; rerun the same command to finish",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if not args.quiet:
        sc = res.scorecard
        for _, r in sc[sc["objective"] == "score"].iterrows():
            print(
                f"{r['arm']}: score {r['diff']:+.3f} vs status quo [{r['diff_lo']:+.3f}, "
                f"{r['diff_hi']:+.3f}]"
            )
        print(f"luck or skill: {res.luck['reading']}")
        print(
            f"{res.timings['runs']} runs ({res.timings['arms']} arms each) in "
            f"{res.timings['total_s']:.0f} s; outputs: {res.out}/debrief.html, log.csv, "
            "ranking.csv, scorecard.csv"
        )
    return 0
