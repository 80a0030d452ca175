"""Which app folder imports which, and the function-level imports of project modules (issue 15, "Measured").

    .venv/bin/python bench/import_layers.py [ROOT]

(a) Folder-level import arrows (app folder -> app folder), counting module-level and function-level imports of
    project modules; tests and migrations are left out. An arrow runs "back up" when it goes from a lower layer
    to a higher one in LAYERS (or from the platform to any app).
(b) Function-level imports of project modules in product code (not tests, migrations, bench), each with
    file:line and whether a comment on that line, the line before or the line after gives a reason.
"""

import ast
import sys
from collections import Counter
from pathlib import Path

# Floor first. A folder may import folders of its own layer or below.
LAYERS = [
    {"runnerway"},
    {"accounts"},
    {"routes"},
    {"workouts"},
    {"goals", "push", "community", "data_export"},
    {"operations"},
]
SKIP_PARTS = {"tests", "migrations", ".venv", ".cache", "var", "node_modules"}


def layer_of(folder: str) -> int | None:
    for rank, folders in enumerate(LAYERS):
        if folder in folders:
            return rank
    return None


def project_folders(root: Path) -> set[str]:
    return {p.parent.name for p in root.glob("*/__init__.py") if p.parent.name not in SKIP_PARTS | {"bench"}}


def imported_modules(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def walk_imports(tree: ast.AST):
    """Yield (import node, inside a function?)."""
    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, in_function
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            yield from visit(child, inner)
    yield from visit(tree, False)


def has_reason(lines: list[str], lineno: int) -> bool:
    """A comment on the import's line, or a comment-only line right before or after it."""
    here = lines[lineno - 1]
    if "#" in here:
        return True
    return any(0 <= other < len(lines) and lines[other].strip().startswith("#") for other in (lineno - 2, lineno))


def main(root: Path) -> None:
    folders = project_folders(root)
    arrows: Counter = Counter()
    local_imports = []
    for path in sorted(root.glob("*/**/*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] not in folders or SKIP_PARTS & set(rel.parts):
            continue
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node, in_function in walk_imports(ast.parse(source)):
            for module in imported_modules(node):
                target = module.split(".")[0]
                if target not in folders:
                    continue
                if target != rel.parts[0]:
                    arrows[(rel.parts[0], target)] += 1
                if in_function:
                    local_imports.append((str(rel), node.lineno, module, has_reason(lines, node.lineno)))

    upward = []
    print(f"(a) folder-level import arrows: {len(arrows)}")
    for (source, target), count in sorted(arrows.items()):
        src_rank, dst_rank = layer_of(source), layer_of(target)
        up = src_rank is not None and dst_rank is not None and dst_rank > src_rank
        unknown = src_rank is None or dst_rank is None
        if up:
            upward.append((source, target))
        flag = "  BACK UP" if up else ("  (folder not in a layer)" if unknown else "")
        print(f"    {source:12} -> {target:12} {count:4} imports{flag}")
    print(f"    arrows running back up: {len(upward)}")

    with_reason = sum(1 for *_, reason in local_imports if reason)
    print(f"(b) function-level imports of project modules in product code: {len(local_imports)} "
          f"({with_reason} with a reason comment, {len(local_imports) - with_reason} without)")
    for rel, lineno, module, reason in local_imports:
        print(f"    {rel}:{lineno}  {module}  {'reason' if reason else 'NO REASON'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
