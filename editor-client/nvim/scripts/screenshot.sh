#!/usr/bin/env bash
# Renders a screenshot of the chat split: real Neovim in tmux, the real daemon;
# the captured pane goes through aha (ANSI -> HTML) and headless Chromium
# (HTML -> PNG), and its text is written beside the PNG (.txt).
#   chat       the fake provider fixes a file (demo_init.lua; the default)
#   first-run  the documented setup with no provider and no API key: the
#              daemon's offline demo (first_run_init.lua)
#   review     the same fix as `chat`, with review = "ask": the review tab
#              (the diff of the proposal) before anything is applied
# Usage: editor-client/nvim/scripts/screenshot.sh [chat|first-run|review] [out.png]
# Needs: tmux, aha, chromium (Debian packages) and the project venv.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
SCENE="${1:-chat}"
case "$SCENE" in
  chat) INIT="$HERE/demo_init.lua"; QUESTION="Why does add(1, 2) print -1?"; DEFAULT_OUT=nvim-chat.png ;;
  review) INIT="$HERE/demo_init.lua"; QUESTION="Why does add(1, 2) print -1?"; DEFAULT_OUT=nvim-review.png
    export SILCROW_DEMO_REVIEW=ask ;;
  first-run) INIT="$HERE/first_run_init.lua"; QUESTION="What can you do?"; DEFAULT_OUT=nvim-first-run.png ;;
  *) echo "screenshot: unknown scene $SCENE (chat, first-run or review)" >&2; exit 2 ;;
esac
OUT="${2:-$ROOT/docs/screenshots/$DEFAULT_OUT}"
NVIM="${NVIM:-$ROOT/.venv/bin/nvim}"
export SILCROW_BIN="${SILCROW_BIN:-$ROOT/.venv/bin/silcrow}"
for tool in tmux aha chromium; do
  command -v "$tool" >/dev/null || { echo "screenshot: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done

WORK="$(mktemp -d)"
SESSION="silcrow-shot-$$"
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/proj/.git" "$WORK/xdg"
printf 'def add(a, b):\n    return a - b\n\n\nprint(add(1, 2))\n' > "$WORK/proj/calc.py"
export SILCROW_DB="$WORK/silcrow.db" XDG_STATE_HOME="$WORK/xdg" XDG_DATA_HOME="$WORK/xdg"
# a first run: no key and no provider from the environment
unset OPENAI_API_KEY ANTHROPIC_API_KEY GEMINI_API_KEY GOOGLE_API_KEY SILCROW_PROVIDER SILCROW_MODEL SILCROW_FAKE_SCRIPT

COLS=150 ROWS=30
tmux new-session -d -s "$SESSION" -x "$COLS" -y "$ROWS" -c "$WORK/proj" \
  "TERM=xterm-256color '$NVIM' --clean -u '$INIT' calc.py"
sleep 1
tmux send-keys -t "$SESSION" ":1,2SilcrowAsk $QUESTION" Enter

# Wait (failure guard, not a timing) for the end-of-turn line in the pane
# (the review scene: for the review tab).
WANT="── done"
[ "$SCENE" = review ] && WANT="Review 1/1"
for _ in $(seq 1 300); do
  if tmux capture-pane -t "$SESSION" -p | grep -q "$WANT"; then break; fi
  sleep 0.1
done
tmux capture-pane -t "$SESSION" -p | grep -q "$WANT" || { echo "screenshot: \"$WANT\" never showed" >&2; exit 1; }
sleep 0.3

tmux capture-pane -t "$SESSION" -e -p > "$WORK/pane.ansi"
tmux capture-pane -t "$SESSION" -p | sed -e 's/[[:space:]]*$//' > "${OUT%.png}.txt"
aha --black --title "Silcrow in Neovim" < "$WORK/pane.ansi" > "$WORK/pane.html"
# a monospace font and no margins, so the page is exactly the terminal
sed -i 's|<head>|<head><style>body{margin:8px;background:#14161b !important;font:15px/1.25 "DejaVu Sans Mono",monospace}pre{margin:0}</style>|' "$WORK/pane.html"
mkdir -p "$(dirname "$OUT")"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size=$((COLS * 9 + 16)),$((ROWS * 19 + 16)) \
  --screenshot="$OUT" "file://$WORK/pane.html" >/dev/null 2>&1
echo "screenshot: wrote $OUT"
