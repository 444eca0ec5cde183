import numpy as np
arr = np.load('x.npy', allow_pickle=True)
