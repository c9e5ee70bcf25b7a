"""Text in two languages: gettext catalogs (Babel ``.po``) looked up by the English source string,
the glossary of course terms, and the Korean font that figures and GIFs render with."""
