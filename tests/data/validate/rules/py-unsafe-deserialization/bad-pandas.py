import pandas as pd
df = pd.read_pickle('df.pkl')
