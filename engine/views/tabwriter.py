"""A port of Go's text/tabwriter, the aligner behind every kubectl table.

kubectl get uses `tabwriter.NewWriter(out, 6, 4, 3, ' ', RememberWidths)`
(k8s.io/cli-runtime/pkg/printers/tabwriter.go) and kubectl describe uses
`Init(buf, 0, 8, 2, ' ', 0)` (kubectl pkg/describe/describe.go tabbedString).
Porting the real algorithm, not a "pad every column" shortcut, matters for
describe: a column's width is shared only by *consecutive* lines that have a
cell in that column, so each section of describe output aligns on its own,
exactly as kubectl's does.

Cells are terminated by a tab; the text after a line's last tab is not part
of any column and is never padded.
"""

from __future__ import annotations


def _format(lines: list[list[str]], minwidth: int, padding: int) -> str:
    out: list[str] = []
    widths: list[int] = []

    def write_lines(line0: int, line1: int) -> None:
        for i in range(line0, line1):
            line = lines[i]
            parts: list[str] = []
            for j, cell in enumerate(line):
                parts.append(cell)
                if j < len(widths):
                    parts.append(" " * (widths[j] - len(cell)))
            out.append("".join(parts))

    def fmt(line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            line = lines[this]
            if column >= len(line) - 1:
                this += 1
                continue
            # A cell exists in this column: print the lines before the block,
            # then measure the block of consecutive lines sharing the column.
            write_lines(line0, this)
            line0 = this
            width = minwidth
            while this < line1:
                line = lines[this]
                if column >= len(line) - 1:
                    break
                width = max(width, len(line[column]) + padding)
                this += 1
            widths.append(width)
            fmt(line0, this)
            widths.pop()
            line0 = this
        write_lines(line0, line1)

    fmt(0, len(lines))
    return "\n".join(out)


def tabwrite(text: str, *, minwidth: int = 0, padding: int = 2) -> str:
    """Align tab-separated `text` like a flushed Go tabwriter with a space pad char."""
    trailing_newline = text.endswith("\n")
    body = text[:-1] if trailing_newline else text
    lines = [raw.split("\t") for raw in body.split("\n")]
    result = _format(lines, minwidth, padding)
    return result + "\n" if trailing_newline else result


def kubectl_get_table(rows: list[list[str]]) -> str:
    """Rows (header first) aligned with kubectl get's tabwriter settings."""
    text = "".join("\t".join(row) + "\n" for row in rows)
    return tabwrite(text, minwidth=6, padding=3)
