"""The app's caches, one module per kind of thing cached: ``models`` (networks and their summaries),
``doctor`` (the doctor's and the tracer's passes, drawn diagrams), ``weights`` (the Weight init
page), ``conv`` (animations, the checkerboard, the receptive field), ``photos`` (sample photos,
uploads and their Lab view), ``inside`` (what the see-inside pages compute on a photo).

A cache only caches: each function calls the core (``inspector`` outside ``ui``, ``models``) with
its key and keeps the answer; every decision is the core's, tested there. Keys are frozen
dataclasses or plain values (hashable). ``shared`` (``caches.shared``: a dictionary lookup where
``st.cache_resource`` hashed every argument again on every call) holds what is the same for every
student and is shared by all sessions without a copy: models (never modify one in place, copy
it first) and the frozen results and bytes the pages only read (summaries, diagnoses, weight
statistics, animations, GIFs and PNGs); ``st.cache_data``, which gives each caller a copy (a
pickle round trip on every call: measurable CPU on every view of every student), is kept for
arrays and tensors that a caller may change (photos, batches). Everything the doctor and the tracer compute
runs on the meta device, so a rerun with the same settings computes nothing and a new setting
costs milliseconds. A cached function draws nothing (the cache would replay it); the spinner
that says what it computes is ``caches.spinner``'s, outside the cache.
"""
