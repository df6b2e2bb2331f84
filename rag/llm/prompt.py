"""Prompt assembly: system prompt + recent history + one user turn holding numbered passages and
the question, fitted to the model's context window. Every word the model is told lives in
`prompts/` (answer_{vi,en}.txt, answer_user_{vi,en}.txt, rewrite_*.txt, labels.toml); the
refusal sentence comes from `rag.contract`.

    prompt = build_prompt("Ai là Bí thư Tỉnh ủy Đắk Lắk?", hits, history=None, language="vi",
                          settings=Settings(llm_context_tokens=4096))
    prompt.messages  # [system, (user, assistant)*, user with <<<PASSAGE 1>>> … and the question]
    prompt.hits      # the passages actually shown: passage n = prompt.hits[n - 1]
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache

from llama_index.core.llms import ChatMessage, MessageRole

from rag import vntext
from rag.contract import REFUSALS, refusal
from rag.llm.base import LLMUnavailable, answer_tokens, lang
from rag.models import Hit
from rag.settings import PROMPTS_DIR, Settings
from rag.tokens import count_tiktoken, truncate_tiktoken

MIN_PASSAGE_TOKENS = 64  # a truncated last passage shorter than this is dropped instead
PROMPT_MARGIN = 0.9  # tiktoken is not the model's tokenizer: keep 10 % of the window spare
MESSAGE_OVERHEAD = 8  # chat-template tokens around each message
MAX_HISTORY_MESSAGES = 6
MAX_HISTORY_MESSAGE_TOKENS = 200
LEAK_NGRAM = 8


@lru_cache(maxsize=16)
def load_prompt(name: str) -> str:
    """The text of prompts/<name>, stripped; `{…}` fields are filled by the caller."""
    return (PROMPTS_DIR / name).read_text(encoding="utf-8").strip()


@lru_cache(maxsize=1)
def labels() -> dict[str, dict[str, str]]:
    """prompts/labels.toml: passage header field names and speaker names, per language."""
    return tomllib.loads((PROMPTS_DIR / "labels.toml").read_text(encoding="utf-8"))


def system_prompt(language: str | None) -> str:
    """The answering instructions in the question's language, with the contract's refusal."""
    lg = lang(language)
    return load_prompt(f"answer_{lg}.txt").format(refusal=refusal(lg))


_MARKER_RUN_RE = re.compile(r"[<\uff1c\ufe64]{3,}|[>\uff1e\ufe65]{3,}")
CITE_STRIP_RE = re.compile(r"\s*\[\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*\]")


def neutralise(text: str) -> str:
    """Break any <<< / >>> run so article text cannot open or close a passage."""
    return _MARKER_RUN_RE.sub(lambda m: ("‹" if m.group()[0] in "<\uff1c\ufe64" else "›") * len(m.group()), text)


def history_text(message: dict) -> str:
    """A past turn as the model may see it: old [n] markers (they point to old passages) removed,
    markers neutralised, cut to MAX_HISTORY_MESSAGE_TOKENS."""
    content = neutralise(CITE_STRIP_RE.sub("", str(message["content"])).strip())
    return truncate_tiktoken(content, MAX_HISTORY_MESSAGE_TOKENS)


def chat_turns(history: list[dict] | None) -> list[dict]:
    """The user/assistant turns of a history that say something."""
    return [h for h in (history or []) if h.get("role") in ("user", "assistant") and str(h.get("content", "")).strip()]


def _passage_block(n: int, hit: Hit, text: str, lg: str) -> str:
    lab = labels()[lg]
    p = hit.payload or {}
    head = [f"<<<PASSAGE {n}>>>"]
    for key, name in (("title", "title"), ("published", "date"), ("source_name", "source"), ("province", "province")):
        if p.get(key):
            head.append(f"{lab[name]}: {neutralise(str(p[key]))}")
    return "\n".join(head) + "\n\n" + neutralise(text.strip()) + f"\n<<<END {n}>>>"


def msg_tokens(text: str) -> int:
    return count_tiktoken(text) + MESSAGE_OVERHEAD


@dataclass
class Prompt:
    messages: list[ChatMessage]
    hits: list[Hit]  # the passages shown, in order (passage n = hits[n-1]); the last may be cut
    max_tokens: int
    truncated_last: bool = False
    history_used: int = 0
    prompt_tokens: int = 0


def _fit_passages(hits: list[Hit], lg: str, used: int, budget: int) -> tuple[list[str], list[Hit], bool, int]:
    """Passage blocks in rank order while they fit; the first that does not is cut at a word
    boundary to the room left, unless that leaves too little to be worth reading (lower-ranked
    ones are dropped). Returns (blocks, hits shown, last one cut, tokens used)."""
    blocks: list[str] = []
    shown: list[Hit] = []
    for hit in hits:
        n = len(blocks) + 1
        block = _passage_block(n, hit, hit.text, lg)
        cost = count_tiktoken(block) + 2  # "\n\n" separator
        if used + cost <= budget:
            blocks.append(block)
            shown.append(hit)
            used += cost
            continue
        frame = count_tiktoken(_passage_block(n, hit, "", lg)) + 2
        room = budget - used - frame
        if room >= MIN_PASSAGE_TOKENS or not blocks:
            cut = truncate_tiktoken(hit.text, max(room, 1))
            while cut and used + count_tiktoken(_passage_block(n, hit, cut, lg)) + 2 > budget:
                # rare: the cut re-tokenised longer, or not even the passage's frame fits; shrink
                # until it fits or nothing is left (a 1-token floor would loop forever)
                left = count_tiktoken(cut) - 8
                cut = truncate_tiktoken(cut, left) if left > 0 else ""
            if cut.strip():
                block = _passage_block(n, hit, cut + " …", lg)
                blocks.append(block)
                shown.append(hit)
                return blocks, shown, True, used + count_tiktoken(block) + 2
        break
    return blocks, shown, False, used


def _fit_history(history: list[dict] | None, used: int, budget: int) -> list[ChatMessage]:
    """Recent history, newest first, whole messages only, alternating user/assistant turns that
    start with a user turn and end with an assistant turn (the question, a user turn, follows):
    many chat templates insist on that."""
    past: list[ChatMessage] = []
    for h in reversed(chat_turns(history)[-MAX_HISTORY_MESSAGES:]):
        content = history_text(h)
        cost = msg_tokens(content)
        if used + cost > budget:
            break
        role = MessageRole.USER if h["role"] == "user" else MessageRole.ASSISTANT
        past.insert(0, ChatMessage(role=role, content=content))
        used += cost
    alternating: list[ChatMessage] = []
    for m in past:
        if alternating and alternating[-1].role == m.role:
            alternating[-1] = m  # of two turns in a row, keep the later one
        else:
            alternating.append(m)
    while alternating and alternating[0].role == MessageRole.ASSISTANT:
        alternating.pop(0)
    while alternating and alternating[-1].role == MessageRole.USER:
        alternating.pop()
    return alternating


def build_prompt(question: str, hits: list[Hit], history: list[dict] | None, language: str,
                 settings: Settings) -> Prompt:
    """The whole prompt for one question, fitted to settings.llm_context_tokens (tiktoken count,
    answer room reserved). Raises LLMUnavailable when not even one passage fits."""
    lg = lang(language)
    system = system_prompt(lg)
    reserve = answer_tokens(settings)
    budget = int((settings.llm_context_tokens - reserve) * PROMPT_MARGIN)
    head, tail = load_prompt(f"answer_user_{lg}.txt").split("{passages}")
    tail = tail.format(question=neutralise(question.strip()))
    used = msg_tokens(system) + msg_tokens(head + tail)
    if used + MIN_PASSAGE_TOKENS > budget:
        raise LLMUnavailable(f"the LLM context window ({settings.llm_context_tokens} tokens) is too small "
                             "for the instructions, the question and one passage")
    blocks, shown, truncated, used = _fit_passages(hits, lg, used, budget)
    past = _fit_history(history, used, budget)
    messages = [ChatMessage(role=MessageRole.SYSTEM, content=system), *past,
                ChatMessage(role=MessageRole.USER, content=head + "\n\n".join(blocks) + tail)]
    return Prompt(messages=messages, hits=shown, max_tokens=reserve, truncated_last=truncated,
                  history_used=len(past), prompt_tokens=sum(msg_tokens(m.content or "") for m in messages))


def build_messages(question: str, hits: list[Hit], history: list[dict] | None, language: str,
                   settings: Settings) -> list[ChatMessage]:
    """System prompt + recent history + one user message holding passages 1..N and the question,
    fitted to settings.llm_context_tokens (tiktoken count, answer room reserved): lower-ranked
    passages are dropped first, then the last kept one is cut at a word boundary."""
    return build_prompt(question, hits, history, language, settings).messages


def rewrite_messages(question: str, turns: list[dict]) -> list[ChatMessage]:
    """The messages asking the model to make a follow-up question standalone (prompts/rewrite_*)."""
    lab = labels()["vi"]
    lines = [f"{lab['user'] if h['role'] == 'user' else lab['assistant']}: {history_text(h)}"
             for h in turns[-MAX_HISTORY_MESSAGES:]]
    user = load_prompt("rewrite_user_vi.txt").format(history="\n".join(lines), question=neutralise(question.strip()))
    return [ChatMessage(role=MessageRole.SYSTEM, content=load_prompt("rewrite_vi.txt")),
            ChatMessage(role=MessageRole.USER, content=user)]


@lru_cache(maxsize=1)
def _prompt_ngrams() -> frozenset[tuple[str, ...]]:
    grams: set[tuple[str, ...]] = set()
    for name in ("answer_vi.txt", "answer_en.txt", "rewrite_vi.txt"):
        try:
            text = load_prompt(name).replace("{refusal}", " ")  # the refusal is a legitimate answer
        except OSError:
            continue
        for r in REFUSALS.values():
            text = text.replace(r, " ")
        w = [vntext.fold(t) for t in vntext.syllables(text)]
        grams.update(tuple(w[i:i + LEAK_NGRAM]) for i in range(len(w) - LEAK_NGRAM + 1))
    return frozenset(grams)


def leaks_prompt(text: str) -> bool:
    """True when `text` recites the instructions: a run of 8 words of a prompt file (folded).
    A question or an article can ask the model to print them; the answer is then not shown."""
    grams = _prompt_ngrams()
    w = [vntext.fold(t) for t in vntext.syllables(text)]
    return any(tuple(w[i:i + LEAK_NGRAM]) in grams for i in range(len(w) - LEAK_NGRAM + 1))
