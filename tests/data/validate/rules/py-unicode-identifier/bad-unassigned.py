import os
os.syst͸m('id')  # U+0378: unassigned, a newer Python might fold it
