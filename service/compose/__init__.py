"""Answer composition: turn retrieved passages into cited sentences.

`sentences.py` cuts passages into quotable sentences, `relevance.py` scores them against the question,
`extractive.py` is the offline composer, `llm.py` the composer that asks an OpenAI-compatible model, and
`support.py` checks that each generated sentence rests on the passages it cites.
"""
