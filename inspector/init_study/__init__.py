"""Weight initialisation studied: the theory of each scheme, weight statistics and
histograms, activation statistics through depth, and the CLI's matplotlib figure of them."""
