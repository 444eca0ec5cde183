import yaml
cfg = yaml.load(fh)
