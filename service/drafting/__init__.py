"""The pieces a 答弁案 is made of, one job per module: clean sentences (`clean`), the topic a sentence of a 答弁
is about (`topic`), one answerer's voice (`voice`) and the stance (`stance`). `service/draft.py` puts them
together."""
