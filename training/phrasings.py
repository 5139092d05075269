"""Labelled instructions the task classifier was NOT trained on, for calibrating its confidence
(the gateway's minimum confidence for a predicted task: `pnpm bench task-confidence`).

    /usr/bin/python3 -m training.phrasings --out bench/fixtures/task-phrasings.json

Which phrasings are held out (training/tasks.py, training/classifier.py, docs/model-card.md
"Task classifier"): the classifier head, the text encoder and the BPE merges were trained on the
"train" template split only (plus its WordNet-synonym / word-drop / filler / swap augmentations,
training/classifier.py and training/text_robust.py). Two sets are held out:

  * "test": the held-out template split, templates(td, variant, "test") (every template whose
    index % 4 == 3: 4 of each task's 16, per variant). Never trained on and never used to choose
    a setting (its numbers were printed alongside some choices, docs/model-card.md). Drawn exactly
    as training.evaluate.classifier_accuracy draws them (rng [5, task index], make_example(...,
    "test"), slots filled from a random scene: its colours, shapes, positions, words), so with the
    defaults these are the 1,600 instructions behind the model card's 98.4%.
  * "val": tasks.CLASSIFIER_VAL, 3 phrasings per task in words neither template split uses
    ("switch the backdrop to blue"). Never trained on, but USED TO CHOOSE the classifier's settings
    (which head was kept), so slightly optimistic for the head. Drawn exactly as
    training.classifier.val_accuracy draws them (rng [6, task index], fill_template, 12 per
    template): with the defaults, the 576 instructions behind the model card's 80.6%.

The REWORDED split (tasks.REWORDED) is not a third set: templates(td, "", REWORDED) returns
CLASSIFIER_VAL[td.name] for the 13 tasks of tasks.REWORDED_TASKS (it only edits real scenes with
them), so its phrasings are the "val" items of those tasks (`"reworded": true` on each of them).

Templates without slots give the same instruction every draw, so some items repeat: each task
weighs the same and, within a task, each template (and variant) as often as training.evaluate
draws it. `out_of_scope` is hand-written: instructions this model cannot carry out (objects its
synthetic world of four shapes does not have, painter styles, photo retouching, operations it has
no task for, questions, gibberish, other languages, empty-ish text), to count how many a
confidence threshold refuses. None of them is a training or held-out phrasing (checked).

Output schema (JSON, one item per line):

    {
      "schema": "emuedit.task-phrasings/1",
      "generator": "training/phrasings.py",
      "command": "/usr/bin/python3 -m training.phrasings --out ...",
      "settings": {"test_per_task": 100, "val_per_template": 12},
      "tasks": ["add", ..., "deblur"],          # tasks.TASK_NAMES: index == the classifier's logit id
      "sources": {"test": "...", "val": "..."},  # what each source set is
      "reworded_tasks": [...],                    # tasks.REWORDED_TASKS
      "counts": {"test": 1600, "val": 576, "out_of_scope": N},
      "items": [{"text": str, "task": str, "source": "test" | "val", "reworded"?: true}, ...],
      "out_of_scope": [{"text": str, "kind": str}, ...]
    }

`kind` is one of OOS_KINDS. Deterministic: the same arguments write the same bytes.
"""
from __future__ import annotations

import argparse
import json
import os
import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from . import tasks as T
from . import world as W

SCHEMA = "emuedit.task-phrasings/1"

SOURCES = {
    "test": "held-out template split: tasks.templates(td, variant, 'test') (index % 4 == 3), drawn as "
            "training.evaluate.classifier_accuracy draws them; never trained on or chosen on",
    "val": "tasks.CLASSIFIER_VAL (words neither template split uses), drawn as "
           "training.classifier.val_accuracy draws them; never trained on, but the classifier's "
           "settings were chosen on them; for tasks.REWORDED_TASKS also the phrasings of the "
           "REWORDED split",
}

OOS_KINDS = ("object", "style", "retouch", "operation", "question", "gibberish", "language", "empty", "other")

# Instructions this model cannot do. Hand-written; (text, kind).
OUT_OF_SCOPE: List[Tuple[str, str]] = [
    # objects its world (circle, square, triangle, diamond) does not have
    ("make the star blue", "object"),
    ("remove the car", "object"),
    ("make the sky orange", "object"),
    ("add a dog next to the tree", "object"),
    ("put a hat on the cat", "object"),
    ("replace the apple with a banana", "object"),
    ("make the person smile", "object"),
    ("paint the house red", "object"),
    ("give the man a beard", "object"),
    ("delete the people in the background", "object"),
    ("add a rainbow over the mountains", "object"),
    ("make the dress green", "object"),
    # painter and art styles it was never shown
    ("make it look like a van gogh painting", "style"),
    ("in the style of monet", "style"),
    ("turn it into an oil painting", "style"),
    ("make it look like a watercolor", "style"),
    ("paint it like picasso", "style"),
    ("give it an anime style", "style"),
    ("make it look like a renaissance fresco", "style"),
    ("render it as a stained glass window", "style"),
    # photo retouching
    ("remove the red eye", "retouch"),
    ("whiten my teeth", "retouch"),
    ("smooth the skin", "retouch"),
    ("fix the white balance", "retouch"),
    ("remove the watermark", "retouch"),
    ("upscale it to 4k", "retouch"),
    ("straighten the horizon", "retouch"),
    ("add a vignette", "retouch"),
    ("make the colours warmer", "retouch"),
    ("crop it to a square", "retouch"),
    # operations on its own shapes that no task does
    ("move the circle to the left", "operation"),
    ("make the square bigger", "operation"),
    ("rotate the triangle", "operation"),
    ("swap the circle and the square", "operation"),
    ("duplicate the diamond", "operation"),
    ("flip the image horizontally", "operation"),
    ("rotate the picture 90 degrees", "operation"),
    ("count the shapes", "operation"),
    # questions
    ("what is in this picture?", "question"),
    ("how many shapes are there", "question"),
    ("what colour is the square", "question"),
    ("is this a circle?", "question"),
    ("who made this image", "question"),
    ("why is the background blue", "question"),
    # gibberish
    ("asdf qwerty zxcv", "gibberish"),
    ("blorp the zazzle", "gibberish"),
    ("lorem ipsum dolor sit amet", "gibberish"),
    ("!!! ??? ...", "gibberish"),
    ("banana banana banana", "gibberish"),
    ("kjhg lkjh poiu", "gibberish"),
    ("the of and to in", "gibberish"),
    # other languages (most ask for things it can do, in words it never saw)
    ("mach den kreis blau", "language"),
    ("rends le carré rouge", "language"),
    ("haz el fondo azul", "language"),
    ("把圆形变成红色", "language"),
    ("円を青くしてください", "language"),
    ("сделай круг синим", "language"),
    ("rendi l'immagine più luminosa", "language"),
    ("verwijder de driehoek", "language"),
    # empty-ish
    ("", "empty"),
    (" ", "empty"),
    ("ok", "empty"),
    ("hmm", "empty"),
    ("please", "empty"),
    ("do it", "empty"),
    ("make it better", "empty"),
    ("fix it", "empty"),
    ("you know what to do", "empty"),
    # requests that are not image edits
    ("write a poem about the sea", "other"),
    ("translate this to french", "other"),
    ("send this to my mom", "other"),
    ("generate a picture of a cat", "other"),
    ("turn it into a video", "other"),
    ("undo the last edit", "other"),
    ("save it as a png", "other"),
]


def test_items(per_task: int) -> List[Dict[str, object]]:
    """training.evaluate.classifier_accuracy's instructions (rng [5, task index], 'test' split)."""
    out: List[Dict[str, object]] = []
    for name in T.TASK_NAMES:
        rng = np.random.default_rng([5, T.TASK_INDEX[name]])
        for _ in range(per_task):
            out.append({"text": T.make_example(name, rng, "test")[2], "task": name, "source": "test"})
    return out


def val_items(per_template: int) -> List[Dict[str, object]]:
    """training.classifier.val_accuracy's instructions (rng [6, task index], fill_template)."""
    out: List[Dict[str, object]] = []
    for name, tpls in T.CLASSIFIER_VAL.items():
        rng = np.random.default_rng([6, T.TASK_INDEX[name]])
        for tpl in tpls:
            for _ in range(per_template):
                item: Dict[str, object] = {"text": T.fill_template(tpl, rng), "task": name, "source": "val"}
                if name in T.REWORDED_TASKS:
                    item["reworded"] = True
                out.append(item)
    return out


_SLOTS = {
    "color": "|".join(W.COLOR_NAMES),
    "shape": "|".join(W.SHAPES),
    "obj": "(?:(?:%s) )?(?:%s)" % ("|".join(W.COLOR_NAMES), "|".join(W.SHAPES)),
    "pos": "|".join(sorted(W.POSITIONS, key=len, reverse=True)),
    "tex": "|".join(W.TEXTURES),
    "texn": "stripe|checkerboard|polka dot",
    "word": "|".join(w.lower() for w in W.WORDS),
    "tb": "top|bottom",
}


def _pattern(tpl: str) -> "re.Pattern[str]":
    parts = re.split(r"\{(\w+)\}", tpl)
    rx = "".join(re.escape(p) if i % 2 == 0 else "(?:%s)" % _SLOTS[p] for i, p in enumerate(parts))
    return re.compile(rx + r"\Z")


def training_patterns() -> List["re.Pattern[str]"]:
    """Every instruction the 'train' split can produce, as exact patterns over its slot values."""
    return [_pattern(t) for td in T.TASKS for v in td.templates for t in T.templates(td, v, "train")]


def _matches(text: str, patterns: Iterable["re.Pattern[str]"]) -> bool:
    return any(p.match(text) for p in patterns)


def build(test_per_task: int = 100, val_per_template: int = 12) -> Dict[str, object]:
    items = test_items(test_per_task) + val_items(val_per_template)
    train = training_patterns()
    seen_train = sorted({str(it["text"]) for it in items if _matches(str(it["text"]), train)})
    if seen_train:
        raise AssertionError(f"held-out items that a training template also produces: {seen_train[:5]}")
    held = [_pattern(t) for td in T.TASKS for v in td.templates for t in T.templates(td, v, "test")]
    held += [_pattern(t) for tpls in T.CLASSIFIER_VAL.values() for t in tpls]
    texts = [t for t, _ in OUT_OF_SCOPE]
    if len(set(texts)) != len(texts):
        raise AssertionError("duplicate out_of_scope instructions")
    clash = [t for t in texts if _matches(t, train) or _matches(t, held)]
    if clash:
        raise AssertionError(f"out_of_scope instructions that are task phrasings: {clash}")
    bad_kind = [t for t, k in OUT_OF_SCOPE if k not in OOS_KINDS]
    if bad_kind:
        raise AssertionError(f"unknown out_of_scope kind: {bad_kind}")
    return {
        "schema": SCHEMA,
        "generator": "training/phrasings.py",
        "command": "/usr/bin/python3 -m training.phrasings --out bench/fixtures/task-phrasings.json"
                   + ("" if (test_per_task, val_per_template) == (100, 12)
                      else f" --test-per-task {test_per_task} --val-per-template {val_per_template}"),
        "settings": {"test_per_task": test_per_task, "val_per_template": val_per_template},
        "tasks": list(T.TASK_NAMES),
        "sources": SOURCES,
        "reworded_tasks": list(T.REWORDED_TASKS),
        "counts": {"test": sum(it["source"] == "test" for it in items),
                   "val": sum(it["source"] == "val" for it in items), "out_of_scope": len(OUT_OF_SCOPE)},
        "items": items,
        "out_of_scope": [{"text": t, "kind": k} for t, k in OUT_OF_SCOPE],
    }


def dumps(doc: Dict[str, object]) -> str:
    """Pretty at the top level, one item per line (small and diffable)."""
    def one(x: object) -> str:
        return json.dumps(x, ensure_ascii=False, separators=(", ", ": "))
    lines = ["{"]
    keys = list(doc)
    for i, k in enumerate(keys):
        end = "," if i < len(keys) - 1 else ""
        v = doc[k]
        if isinstance(v, list) and v and isinstance(v[0], dict):
            lines.append(f"  {one(k)}: [")
            lines += [f"    {one(x)}{',' if j < len(v) - 1 else ''}" for j, x in enumerate(v)]
            lines.append(f"  ]{end}")
        else:
            lines.append(f"  {one(k)}: {one(v)}{end}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="JSON file to write")
    p.add_argument("--test-per-task", type=int, default=100,
                   help="held-out template instructions per task (100: the model card's 1,600)")
    p.add_argument("--val-per-template", type=int, default=12,
                   help="instructions per CLASSIFIER_VAL phrasing (12: the model card's 576)")
    a = p.parse_args(argv)
    if a.test_per_task < 1 or a.val_per_template < 1:
        p.error("--test-per-task and --val-per-template must be >= 1")
    doc = build(a.test_per_task, a.val_per_template)
    text = dumps(doc)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(text)
    c = doc["counts"]
    print(f"wrote {a.out}: {c['test']} test + {c['val']} val items, "  # type: ignore[index]
          f"{c['out_of_scope']} out of scope, {len(text.encode()):,} bytes")  # type: ignore[index]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
