"""The 16 editing tasks (Emu Edit's groups on the synthetic world), their instructions and targets.

Each task has templated paraphrases; templates whose index % 4 == 3 are the held-out phrasings
(never trained on). make_example() draws (input, target, instruction) for a task from a generator.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import world as W

Example = Tuple[np.ndarray, np.ndarray, str]


@dataclasses.dataclass(frozen=True)
class TaskDef:
    name: str
    group: str
    description: str
    templates: Dict[str, List[str]]  # variant -> templates


def _t(*xs: str) -> List[str]:
    return list(xs)


TASKS: List[TaskDef] = [
    TaskDef("add", "region", "Add a new object of a named colour and shape at a named position.", {"": _t(
        "add a {color} {shape} at the {pos}", "put a {color} {shape} in the {pos}", "draw a {color} {shape} at the {pos}",
        "place a {color} {shape} at the {pos}", "insert a {color} {shape} in the {pos}", "there should be a {color} {shape} at the {pos}",
        "add a {color} {shape} to the {pos}", "please add a {color} {shape} in the {pos} of the image",
        "could you place a {color} {shape} in the {pos}", "i want a {color} {shape} at the {pos} of the image",
        "can you add a {color} {shape} at the {pos}", "could you put a {color} {shape} at the {pos} please",
        "please draw a {color} {shape} in the {pos}", "create a new {color} {shape} at the {pos}",
        "drop a {color} {shape} into the {pos} of the picture", "can you place a new {color} {shape} in the {pos} of the picture")}),
    TaskDef("remove", "region", "Remove an object; the background shows where it was.", {"": _t(
        "remove the {obj}", "delete the {obj}", "erase the {obj}", "get rid of the {obj}",
        "take away the {obj}", "take the {obj} out", "make the {obj} disappear", "remove the {obj} from the picture",
        "please get rid of the {obj}", "delete the {obj} from the image", "could you erase the {obj}", "can you take the {obj} out of the picture",
        "can you remove the {obj} please", "i do not want the {obj} in the picture", "get rid of the {obj} in the image",
        "could you delete the {obj} please")}),
    TaskDef("local", "region", "Recolour one object.", {"": _t(
        "make the {obj} {color}", "change the {obj} to {color}", "recolor the {obj} {color}", "turn the {obj} {color}",
        "paint the {obj} {color}", "colour the {obj} {color}", "change the colour of the {obj} to {color}", "the {obj} should be {color}",
        "turn the {obj} into a {color} one", "could you make the {obj} {color}", "i want the {obj} to be {color}",
        "can you paint the {obj} {color} please", "can you recolor the {obj} to {color}", "the colour of the {obj} should be {color}",
        "please change the {obj} to {color}", "could you turn the {obj} {color}")}),
    TaskDef("texture", "region", "Give one object a striped, checkered or dotted texture.", {"": _t(
        "make the {obj} {tex}", "give the {obj} a {texn} pattern", "add a {texn} texture to the {obj}", "turn the {obj} {tex}",
        "cover the {obj} with a {texn} pattern", "the {obj} should be {tex}", "apply a {texn} texture to the {obj}", "change the {obj} to {tex}",
        "change the pattern of the {obj} to {texn}", "could you give the {obj} a {texn} texture", "turn the {obj} into a {tex} one",
        "can you make the {obj} {tex} please", "can you put a {texn} pattern on the {obj}", "please apply a {texn} pattern to the {obj}",
        "i want the {obj} to be {tex}", "could you cover the {obj} with a {texn} texture")}),
    TaskDef("background", "region", "Recolour the background, keeping the objects.", {"": _t(
        "make the background {color}", "change the background to {color}", "set the background colour to {color}", "paint the background {color}",
        "turn the background {color}", "use a {color} background", "recolor the background {color}", "the background should be {color}",
        "paint the whole background {color}", "could you change the background colour to {color}", "i want the background to be {color}",
        "can you make the background {color} please", "can you switch the background to {color}", "the background colour should be {color}",
        "please turn the background {color}", "could you paint the background {color}")}),
    TaskDef("global", "freeform", "Change the whole image: brighter, darker or more contrast.", {
        "brighter": _t("make the image brighter", "brighten the picture", "increase the brightness", "make it brighter",
                       "lighten the image", "more light please", "turn up the brightness", "make everything brighter",
                       "could you make it a bit brighter", "brighten everything up", "can you increase the brightness of the image",
                       "please brighten the image", "make the picture lighter", "raise the brightness", "add more light to the picture",
                       "can you make the picture brighter"),
        "darker": _t("make the image darker", "darken the picture", "decrease the brightness", "make it darker",
                     "dim the image", "less light please", "turn down the brightness", "make everything darker",
                     "could you make it a bit darker", "darken everything", "can you decrease the brightness of the image",
                     "please darken the image", "make the picture dimmer", "lower the brightness", "reduce the light in the picture",
                     "can you make the picture darker"),
        "contrast": _t("increase the contrast", "add more contrast", "make the image more contrasty", "boost the contrast",
                       "give it more contrast", "raise the contrast", "more contrast please", "make the contrast stronger",
                       "could you boost the contrast a bit", "make the contrast higher", "can you give the image more contrast",
                       "please increase the contrast of the picture", "turn up the contrast of the picture", "a stronger contrast please",
                       "pump up the contrast", "can you boost the contrast of the image")}),
    TaskDef("style", "freeform", "Restyle the image: pixel art, posterized, or cartoon outlines.", {
        "pixelate": _t("pixelate the image", "make it pixel art", "turn the picture into pixel art", "make it look pixelated",
                       "apply a pixelation effect", "render it as big pixels", "give it a retro pixel look", "convert to pixel art style",
                       "could you make the image look pixelated", "convert the picture to pixel art", "can you pixelate the picture",
                       "please turn it into pixel art", "please give it a blocky pixel style", "make the pixels big and blocky",
                       "redo the image in a pixel art style", "can you render the image as pixel art"),
        "posterize": _t("posterize the image", "make it look like a poster", "apply a posterize effect", "reduce the colours to a poster look",
                        "give it a pop art poster style", "make it a flat poster", "use a posterized style", "turn it into a poster",
                        "reduce the number of colours for a poster effect", "could you turn the image into a poster",
                        "can you posterize the picture", "please make the image look like a poster", "please apply a posterized look",
                        "give the picture a flat poster look with fewer colours", "convert it to a poster style",
                        "can you give it a poster look"),
        "cartoon": _t("make it look like a cartoon", "cartoonify the picture", "give it a cartoon style", "draw black outlines around the shapes",
                      "apply a comic style", "make it a comic drawing", "turn it into a cartoon", "outline the shapes in black like a cartoon",
                      "add black outlines to the shapes like a cartoon", "could you make the picture look like a comic",
                      "can you cartoonify the image", "please turn the picture into a cartoon", "please outline every shape in black",
                      "draw thick black lines around the shapes", "make it look like a cartoon drawing",
                      "can you give the picture a comic style")}),
    TaskDef("text", "freeform", "Write a word on the image, at the top or the bottom.", {"": _t(
        "write {word} at the {tb}", "add the text {word} at the {tb}", "put the word {word} at the {tb}", "write the word {word} on the {tb}",
        "add a caption {word} at the {tb}", "type {word} at the {tb}", "label the image {word} at the {tb}", "print {word} at the {tb} of the picture",
        "print the word {word} on the {tb}", "could you write {word} at the {tb} of the picture", "can you add the word {word} at the {tb}",
        "please put the text {word} on the {tb}", "please type the word {word} at the {tb}", "i want the text {word} at the {tb} of the image",
        "write the caption {word} on the {tb} of the picture", "can you print {word} at the {tb}")}),
    TaskDef("detect", "vision", "Draw a 2-px pure green box just outside one object's bounding box.", {"": _t(
        "detect the {obj}", "draw a box around the {obj}", "find the {obj}", "put a bounding box on the {obj}",
        "locate the {obj}", "mark the {obj} with a box", "highlight the {obj} with a green box", "where is the {obj}",
        "draw a bounding box on the {obj}", "show me where the {obj} is", "can you find the {obj}", "could you put a box around the {obj}",
        "could you locate the {obj}", "box the {obj} in green", "put a green box around the {obj}", "can you mark where the {obj} is")}),
    TaskDef("segment", "vision", "Segment one object: its pixels white, everything else black.", {"": _t(
        "segment the {obj}", "make a mask of the {obj}", "show the mask for the {obj}", "isolate the {obj} as a mask",
        "create a segmentation mask of the {obj}", "cut out the {obj} as a white mask", "give me the {obj} mask", "segment out the {obj}",
        "isolate the {obj} in a binary mask", "could you segment out the {obj} in white", "can you make a mask for the {obj}",
        "please create a mask of the {obj}", "please segment the {obj}", "show the {obj} in white on black as a mask",
        "produce a segmentation mask for the {obj}", "can you isolate the {obj}")}),
    TaskDef("color", "vision", "Colour filters: invert, grayscale or blur the whole image.", {
        "invert": _t("invert the colors", "invert the image", "make a negative of the picture", "apply an invert filter",
                     "reverse the colours", "turn it into a negative", "negate the colors", "show the photo negative",
                     "use an invert filter on the image", "could you invert the picture", "can you invert the image colours",
                     "please reverse the colors of the image", "please invert all the colours", "apply a negative effect to the picture",
                     "show the picture as a photo negative", "can you negate the colours of the picture"),
        "grayscale": _t("make it grayscale", "convert to black and white", "remove the colors", "apply a grayscale filter",
                        "desaturate the image", "make it gray", "turn the picture black and white", "drain all the colour",
                        "apply a black and white filter", "could you drain the colour from the picture", "can you make the image grayscale",
                        "please convert the picture to grayscale", "please strip out all the colour", "make the image shades of gray",
                        "turn it grayscale", "can you desaturate the picture"),
        "blur": _t("blur the image", "make it blurry", "apply a blur filter", "soften the picture",
                   "add some blur", "make everything fuzzy", "blur it", "defocus the image",
                   "soften the image with a blur", "could you defocus the picture", "can you blur the picture",
                   "please make the image blurry", "please make it a bit fuzzy", "give the image a soft blurry look",
                   "blur the whole picture", "can you give the image some blur")}),
    TaskDef("edges", "vision", "Edge map: object boundaries (2 px) white on black.", {"": _t(
        "show the edges", "extract the edges", "make an edge map", "detect all edges",
        "turn the image into an edge map", "draw only the edges", "give me the edge image", "trace the edges in white",
        "detect the edges in the picture", "could you draw the edges in white", "can you extract all the edges",
        "please show all the edges", "please make an edge map of the picture", "keep only the edges",
        "run edge detection on the image", "can you turn the picture into an edge image")}),
    TaskDef("depth", "vision", "Depth-like map: background dark, objects gray by size (bigger is nearer, brighter).", {"": _t(
        "estimate the depth", "make a depth map", "show the depth", "turn the image into a depth map",
        "predict depth", "give me the depth image", "convert it to a depth map", "compute the depth map",
        "turn the picture into a depth image", "could you compute the depth of the scene", "can you estimate the depth of the image",
        "please show the depth map", "please predict the depth map", "render a depth map of the scene",
        "show how near or far each object is", "can you make a depth image")}),
    TaskDef("sketch", "vision", "Image to line drawing: objects become 2-px outlines in their colour.", {"": _t(
        "turn it into a sketch", "make a line drawing", "sketch the image", "convert the shapes to outlines",
        "draw it as a sketch", "make the shapes hollow", "turn the picture into a line drawing", "show only the outlines of the shapes",
        "convert the picture to a sketch", "could you redraw the shapes as coloured outlines", "can you sketch the picture",
        "please make it a line drawing", "please show only the lines of the shapes", "draw the image as a line sketch",
        "redo the picture as a simple sketch", "can you draw the shapes as a hollow sketch")}),
    TaskDef("sketch_to_image", "vision", "Line drawing to image: fill the outlines with their colour.", {"": _t(
        "fill in the sketch", "turn the sketch into an image", "colour in the drawing", "fill the shapes",
        "make the outlines solid", "render the line drawing", "paint inside the lines", "complete the sketch with colour",
        "fill the shapes with their colour", "could you complete the drawing", "can you turn the line drawing into a picture",
        "please colour in the sketch", "please fill in the line drawing", "render the sketch as a full colour image",
        "paint the sketch with solid colour", "can you fill in the drawing with colour")}),
    TaskDef("deblur", "vision", "Blurred image to sharp image (the inverse of the blur filter).", {"": _t(
        "deblur the image", "sharpen the image", "make it sharp", "remove the blur",
        "unblur the picture", "make it crisp", "fix the blur", "bring it into focus",
        "remove the blur from the picture", "could you make it sharper", "can you deblur the picture",
        "please sharpen the picture", "please bring the image into focus", "make the image crisp and clear",
        "undo the blur in the image", "can you fix the blur in the image")}),
]
TASK_NAMES = [t.name for t in TASKS]
TASK_INDEX = {n: i for i, n in enumerate(TASK_NAMES)}

# unseen task for task inversion; not in the 16 and not in the text corpus used for training
CONTOUR = TaskDef("contour", "vision", "1-px white outline of one object on black.", {"": _t(
    "outline the {obj}", "draw the contour of the {obj}", "trace the {obj}", "contour of the {obj}",
    "draw the outline of the {obj}", "trace the contour of the {obj}", "could you show the contour of the {obj}",
    "could you trace the outline of the {obj}")})


# Phrasings for choosing the classifier's settings: written (2026-11-27) in words that neither the
# training nor the held-out templates use, so that neither split is used to choose them. They are
# not in any training corpus (BPE, UNet, classifier).
CLASSIFIER_VAL: Dict[str, List[str]] = {
    "add": ["stick a {color} {shape} in the {pos}", "i would like a {color} {shape} at the {pos}",
            "include a {color} {shape} in the {pos} area"],
    "remove": ["wipe out the {obj}", "clear the {obj} away", "lose the {obj}"],
    "local": ["dye the {obj} {color}", "swap the colour of the {obj} for {color}", "fill the {obj} with {color}"],
    "texture": ["give the {obj} a {texn} look", "the {obj} needs to be {tex}",
                "decorate the {obj} with a {texn} design"],
    "background": ["switch the backdrop to {color}", "the area behind the shapes should be {color}",
                   "fill the background with {color}"],
    "global": ["lighten it up", "tone the brightness down", "make the colours pop more"],
    "style": ["give it an 8 bit look", "make it look like a poster print", "make it comic book style"],
    "text": ["stamp {word} at the {tb}", "add {word} as text at the {tb}", "letter {word} across the {tb}"],
    "detect": ["frame the {obj} with a rectangle", "surround the {obj} with a box", "where can i find the {obj}"],
    "segment": ["mask out the {obj}", "give me a silhouette mask of the {obj}", "white mask for the {obj} please"],
    "color": ["flip the colours", "make it monochrome", "make the picture hazy"],
    "edges": ["find the edges", "show me where the edges are", "an edge image please"],
    "depth": ["how far away is each shape", "depth estimation please", "make a distance map"],
    "sketch": ["redraw it with just lines", "turn the solid shapes into line art", "make the shapes empty inside"],
    "sketch_to_image": ["color the line art", "make the drawing solid", "fill the hollow shapes"],
    "deblur": ["make it less blurry", "clean up the blur", "focus the image"],
}

# the words that fill a template's slots (and so carry no evidence about the task)
SLOT_WORDS = frozenset([*W.COLOR_NAMES, *W.SHAPES, *W.TEXTURES, "stripe", "checkerboard", "polka", "dot",
                        *(w for p in W.POSITIONS for w in p.split()), *(w.lower() for w in W.WORDS)])


def fill_template(tpl: str, rng: np.random.Generator) -> str:
    """An instruction from a template with random slot values (for text-only uses: no scene)."""
    shape, k = _pick(rng, W.SHAPES), int(rng.integers(3))
    obj = f"{_pick(rng, W.COLOR_NAMES)} {shape}" if rng.random() < 0.5 else shape
    return _fill(tpl, obj=obj, color=_pick(rng, W.COLOR_NAMES), shape=shape, pos=_pick(rng, list(W.POSITIONS)),
                 tex=W.TEXTURES[k], texn=["stripe", "checkerboard", "polka dot"][k],
                 word=_pick(rng, W.WORDS).lower(), tb=_pick(rng, ["top", "bottom"]))


# the phrasings "split" of make_example for edits with CLASSIFIER_VAL's instructions: words that
# neither split uses, for the tasks whose edit has no variant those phrasings would have to name
REWORDED = "reworded"
REWORDED_TASKS = tuple(t.name for t in TASKS if list(t.templates) == [""])


def check_reworded(names: Sequence[str]) -> None:
    """ValueError unless every task named has reworded phrasings (REWORDED_TASKS)."""
    bad = sorted(set(names) - set(REWORDED_TASKS))
    if bad:
        raise ValueError(f"no reworded phrasings for {', '.join(bad)}: their instructions name a variant "
                         f"(reworded tasks: {', '.join(REWORDED_TASKS)})")


def templates(task: TaskDef, variant: str, split: str) -> List[str]:
    if split == REWORDED:
        check_reworded([task.name])
        return CLASSIFIER_VAL[task.name]
    ts = task.templates[variant]
    return [t for i, t in enumerate(ts) if (i % 4 == 3) == (split == "test")]


def _ref(o: W.Obj, rng: np.random.Generator) -> str:
    return f"{o.color} {o.shape}" if rng.random() < 0.5 else o.shape


def _fill(tpl: str, **kw: str) -> str:
    return tpl.format(**{k: v for k, v in kw.items()}) if "{" in tpl else tpl


def _pick(rng: np.random.Generator, xs: List[str]) -> str:
    return xs[int(rng.integers(len(xs)))]


def contour_target(scene: W.Scene, o: W.Obj) -> np.ndarray:
    out = np.zeros((W.SIZE, W.SIZE, 3), np.uint8)
    out[W.outline(W.obj_mask(o), 1)] = 255
    return out


REGION_TASKS = ("add", "remove", "local", "texture", "background")


def region_edit(task: str, scene: W.Scene, rng: np.random.Generator, split: str = "train") -> Optional[Tuple[W.Scene, str]]:
    """Apply a region task to a scene description: (edited scene, instruction), or None if impossible."""
    td = TASKS[TASK_INDEX[task]]
    tpl = _pick(rng, templates(td, "", split))
    used_colors = {p.color for p in scene.objs}
    free_colors = [c for c in W.COLOR_NAMES if c != scene.bg and c not in used_colors]
    t = scene.copy()
    if task == "add":
        shapes = [s for s in W.SHAPES if s not in {p.shape for p in scene.objs}]
        if not shapes or not free_colors:
            return None
        shape, color = _pick(rng, shapes), _pick(rng, free_colors)
        free = [p for p, (cx, cy) in W.POSITIONS.items()
                if W.fits(scene, W.Obj(shape, color, W.CELL_CENTERS[cx], W.CELL_CENTERS[cy], W.ADD_SIZE))]
        if not free:
            return None
        pos = _pick(rng, free)
        cx, cy = W.POSITIONS[pos]
        t.objs.append(W.Obj(shape, color, W.CELL_CENTERS[cx], W.CELL_CENTERS[cy], W.ADD_SIZE))
        return t, _fill(tpl, color=color, shape=shape, pos=pos)
    if task == "background":
        if not free_colors:
            return None
        color = _pick(rng, free_colors)
        t.bg = color
        return t, _fill(tpl, color=color)
    if not scene.objs:
        return None
    o = t.objs[int(rng.integers(len(t.objs)))]
    ref = _ref(o, rng)
    if task == "remove":
        t.objs = [p for p in t.objs if p is not o]
        return t, _fill(tpl, obj=ref)
    if task == "local":
        if not free_colors:
            return None
        color = _pick(rng, free_colors)
        o.color = color
        return t, _fill(tpl, color=color, obj=ref)
    if task == "texture":
        tex = _pick(rng, W.TEXTURES)
        o.texture = tex
        texn = {"striped": "stripe", "checkered": "checkerboard", "dotted": "polka dot"}[tex]
        return t, _fill(tpl, tex=tex, texn=texn, obj=ref)
    raise ValueError(task)


def make_example(task: str, rng: np.random.Generator, split: str = "train") -> Example:
    """(input uint8 [64,64,3], target uint8 [64,64,3], instruction) for one task."""
    if task in REGION_TASKS:
        while True:
            scene = W.random_scene(rng, 1, 2 if task == "add" else 3)
            r = region_edit(task, scene, rng, split)
            if r is not None:
                return W.render(scene), W.render(r[0]), r[1]
    td = CONTOUR if task == "contour" else TASKS[TASK_INDEX[task]]
    variant = _pick(rng, list(td.templates))
    tpl = _pick(rng, templates(td, variant, split))
    scene = W.random_scene(rng, 1, 3)
    src = W.render(scene)
    o = scene.objs[int(rng.integers(len(scene.objs)))]
    ref = _ref(o, rng)
    m = W.obj_mask(o)
    kw: Dict[str, str] = {"obj": ref}
    if task == "global":
        return src, W.adjust(src, variant), tpl
    if task == "style":
        if variant == "pixelate":
            return src, W.pixelate(src), tpl
        if variant == "posterize":
            return src, W.posterize(src), tpl
        tgt = src.copy()
        for p in scene.objs:
            tgt[W.outline(W.obj_mask(p), 2)] = W.COLORS["black"] if scene.bg != "black" else W.COLORS["white"]
        return src, tgt, tpl
    if task == "text":
        word, tb = _pick(rng, W.WORDS), _pick(rng, ["top", "bottom"])
        tgt = src.copy()
        tgt[W.text_layer(word, tb)] = W.COLORS["white"] if scene.bg in ("black", "blue", "purple") else W.COLORS["black"]
        return src, tgt, _fill(tpl, word=word.lower(), tb=tb)
    if task == "detect":
        x0, y0, x1, y1 = o.bbox()
        box = np.zeros((W.SIZE, W.SIZE), bool)
        box[y0 - 2:y1 + 2, x0 - 2:x1 + 2] = True
        box[y0:y1, x0:x1] = False
        tgt = src.copy()
        tgt[box] = W.DETECT_GREEN
        return src, tgt, _fill(tpl, **kw)
    if task == "segment":
        tgt = np.zeros_like(src)
        tgt[m] = 255
        return src, tgt, _fill(tpl, **kw)
    if task == "color":
        f = {"invert": W.invert, "grayscale": W.grayscale, "blur": W.box_blur}[variant]
        return src, f(src), tpl
    if task == "edges":
        tgt = np.zeros_like(src)
        for p in scene.objs:
            tgt[W.outline(W.obj_mask(p), 2)] = 255
        return src, tgt, tpl
    if task == "depth":
        tgt = np.full_like(src, 30)
        for p in scene.objs:
            tgt[W.obj_mask(p)] = int(round(80 + 175 * (p.size - 12) / 16))
        return src, tgt, tpl
    if task in ("sketch", "sketch_to_image"):
        sk = np.empty_like(src)
        sk[:] = W.COLORS[scene.bg]
        for p in scene.objs:
            sk[W.outline(W.obj_mask(p), 2)] = W.COLORS[p.color]
        return (src, sk, tpl) if task == "sketch" else (sk, src, tpl)
    if task == "deblur":
        return W.box_blur(src), src, tpl
    if task == "contour":
        return src, contour_target(scene, o), _fill(tpl, **kw)
    raise ValueError(task)


def corpus(split: str = "train", include_contour: bool = False) -> List[str]:
    """Every instruction the templates can produce for a split (the BPE training corpus)."""
    out: List[str] = []
    tds = TASKS + ([CONTOUR] if include_contour else [])
    objs = [s for s in W.SHAPES] + [f"{c} {s}" for c in W.COLOR_NAMES for s in W.SHAPES]
    for td in tds:
        for variant in td.templates:
            for tpl in templates(td, variant, split):
                for obj in objs:
                    out.append(tpl.format(
                        obj=obj, color=obj.split()[0] if " " in obj else "red", shape=obj.split()[-1],
                        pos=list(W.POSITIONS)[len(out) % 9], tex=W.TEXTURES[len(out) % 3],
                        texn=["stripe", "checkerboard", "polka dot"][len(out) % 3],
                        word=W.WORDS[len(out) % len(W.WORDS)].lower(), tb=["top", "bottom"][len(out) % 2]))
    return out


def task_examples(name: str, n: int = 3) -> List[str]:
    rng = np.random.default_rng(1234 + TASK_INDEX.get(name, 99))
    return [make_example(name, rng, "train")[2] for _ in range(n)]
