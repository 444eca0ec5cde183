ᵉval('1')  # modifier letter small e U+1D49
