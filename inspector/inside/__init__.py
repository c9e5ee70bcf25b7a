"""See inside a real forward pass: feature maps, what each skip carries, the discriminator's
verdict per patch, and Dropout / BatchNorm in train vs eval (pure functions returning data)."""
