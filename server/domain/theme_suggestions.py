"""Theme suggestions: which existing themes a feedback conversation's words point to, learnt from
the conversations a manager has already tagged. Staff only (access.POLICY kind "theme")."""
from __future__ import annotations

import re

from sqlalchemy import select

from ..extensions import db
from ..models import FeedbackConversation, Person, Theme, User
from . import access, audit
from .feedback import feedback_for


STOPWORDS = frozenset(
    """a about above after again against all almost also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
    don't down during each even ever every few for from further get gets getting got had hadn't has hasn't
    have haven't having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll
    i'm i've if in into is isn't it it's its itself just let's like me more most much mustn't my myself
    no nor not now of off often on once only or other ought our ours ourselves out over own quite rather
    really same shan't she she'd she'll she's should shouldn't so some such than that that's the their
    theirs them themselves then there there's these they they'd they'll they're they've this those
    though through to too under until up upon us very was wasn't we we'd we'll we're we've were weren't
    what what's when when's where where's which while who who's whom why why's will with won't would
    wouldn't yes yet you you'd you'll you're you've your yours yourself yourselves bit lot lots thing
    things still sometimes always never one two three nothing something anything everything""".split()
)
MIN_CUE_CONVERSATIONS = 2  # a word must have appeared in at least this many conversations tagged with the theme
MIN_CUE_SHARE = 0.5  # ... and at least this share of the earlier conversations containing it were tagged with it
MIN_CUE_LIFT = 0.25  # ... which is at least this far above the theme's share of all earlier conversations


def words_of(*texts: str) -> set[str]:
    words = set()
    for text in texts:
        for word in re.findall(r"[a-z][a-z']*[a-z]|[a-z0-9]+", (text or "").lower().replace("’", "'")):
            if word.endswith("'s"):
                word = word[:-2]
            if len(word) >= 3 and word not in STOPWORDS:
                words.add(word)
    return words


def _answers(conversation: FeedbackConversation) -> set[str]:
    return words_of(conversation.works_well, conversation.feels_difficult, conversation.would_change)


def suggest_themes(actor: User, feedback_id: str) -> dict:
    """Existing themes whose words already appeared in earlier tagged answers.

    For each word of this conversation's answers and each theme: in how many earlier reviewed
    conversations of the organisation the word appeared (`seen`), and in how many of those the
    manager tagged the theme (`tagged`). A word is a cue for the theme when tagged >= 2 and
    tagged/seen is at least 0.5 and at least 0.25 above the theme's share of all earlier reviewed
    conversations (so words that are everywhere, like "carers", do not count), or when the word is
    part of the theme's name and was in at least one conversation tagged with it. Themes are
    ranked by their strongest cue, then by how many cues they have.
    """
    access.require_write(actor, "theme")
    conversation = feedback_for(actor, feedback_id)
    audit.record(actor, "view", "feedback_suggestions", conversation.id, person=db.session.get(Person, conversation.person_id))
    words = _answers(conversation)
    earlier = db.session.execute(
        select(FeedbackConversation)
        .join(Person, Person.id == FeedbackConversation.person_id)
        .where(
            Person.organisation_id == actor.organisation_id,
            FeedbackConversation.reviewed_at.is_not(None),
            FeedbackConversation.id != conversation.id,
        )
    ).scalars().all()
    seen: dict[str, int] = {w: 0 for w in words}
    tagged: dict[tuple[str, str], int] = {}
    themes: dict[str, Theme] = {}
    for other in earlier:
        shared = words & _answers(other)
        for word in shared:
            seen[word] += 1
            for theme in other.themes:
                themes[theme.id] = theme
                tagged[(theme.id, word)] = tagged.get((theme.id, word), 0) + 1
    overall: dict[str, int] = {}
    for other in earlier:
        for theme in other.themes:
            overall[theme.id] = overall.get(theme.id, 0) + 1
    already = {t.id for t in conversation.themes}
    suggestions = []
    for theme_id, theme in themes.items():
        if theme_id in already:
            continue
        base = overall.get(theme_id, 0) / len(earlier)
        threshold = max(MIN_CUE_SHARE, min(0.95, base + MIN_CUE_LIFT))
        in_name = words_of(theme.name)
        cues = []
        for word in sorted(words):
            count = tagged.get((theme_id, word), 0)
            if not count:
                continue
            share = count / seen[word]
            if (count >= MIN_CUE_CONVERSATIONS and share >= threshold) or word in in_name:
                cues.append({"word": word, "tagged": count, "seen": seen[word], "share": round(share, 2), "in_theme_name": word in in_name})
        if not cues:
            continue
        cues.sort(key=lambda c: (not c["in_theme_name"], -c["share"], -c["tagged"], c["word"]))
        explained = "; ".join(
            f"“{c['word']}” was in {c['seen']} earlier conversation{'s' if c['seen'] != 1 else ''}, "
            f"{c['tagged']} of them tagged “{theme.name}”"
            for c in cues[:5]
        )
        suggestions.append(
            {
                "theme": {"id": theme.id, "name": theme.name},
                "score": max(c["share"] for c in cues),
                "matches": cues,
                "tagged_overall": overall.get(theme_id, 0),
                "explanation": f"{explained} (of all {len(earlier)} earlier reviewed conversations, "
                f"{overall.get(theme_id, 0)} were tagged “{theme.name}”).",
            }
        )
    suggestions.sort(key=lambda s: (-s["score"], -len(s["matches"]), -s["matches"][0]["tagged"], s["theme"]["name"].lower()))
    return {
        "feedback_id": conversation.id,
        "compared_with": len(earlier),
        "suggestions": suggestions,
        "method": (
            "A theme is suggested when a word in these answers appeared in at least "
            f"{MIN_CUE_CONVERSATIONS} earlier reviewed conversations tagged with it, and the share of earlier "
            f"conversations containing the word that were tagged with it is at least {int(MIN_CUE_SHARE * 100)}% "
            f"and at least {int(MIN_CUE_LIFT * 100)} points above the theme's share of all earlier reviewed "
            "conversations; or when a word of the theme's own name appeared in a conversation tagged with it."
        ),
    }
