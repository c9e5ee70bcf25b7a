"""Weight initialisation studied: the theory of each scheme, weight statistics and
histograms, and activation statistics through depth."""
