import json, pickle, yaml, torch
import numpy as np
a = json.loads(s)
b = pickle.dumps(obj)
c = yaml.safe_load(fh)
d = yaml.load(fh, Loader=yaml.SafeLoader)
e = torch.load('m.pt', weights_only=True)
f = np.load('x.npy')
