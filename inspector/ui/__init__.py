"""The Streamlit front end, the only package that imports streamlit: the sidebar (returns the
user's ``Choice``), the one cache module, page content (notebook code, init code) and pages/."""
