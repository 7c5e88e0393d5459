"""The fenced block after `<!-- snippet: NAME -->` in a Markdown file (the
same rule as tests/consumer/snippet.sh)."""


def snippet(path, name):
    lines = path.read_text().splitlines()
    start = lines.index(f"<!-- snippet: {name} -->")
    fence = start + 1
    assert lines[fence].startswith("```"), f"no code block after snippet {name}"
    end = lines.index("```", fence + 1)
    return "\n".join(lines[fence + 1:end]) + "\n"
