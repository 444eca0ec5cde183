import joblib
clf = joblib.load('clf.joblib')
