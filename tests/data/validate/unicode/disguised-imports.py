# plain-imports.py with its names disguised as Python folds them (NFKC, PEP
# 3131): lines ending in "# folds" must also raise py-unicode-identifier.
import ｏｓ  # folds
import ｓｕｂｐｒｏｃｅｓｓ  # folds
import ｐｉｃｋｌｅ  # folds
import ｓｈｕｔｉｌ  # folds
import os as ᵒ  # folds
o.ｓｙｓｔｅｍ('id')  # folds
from ｓｕｂｐｒｏｃｅｓｓ import ｃａｌｌ  # folds
ｃａｌｌ(['id'])  # folds
import 𝚙𝚝𝚢  # folds
pty.𝕤𝕡𝕒𝕨𝕟('sh')  # folds
ｍａｒｓｈａｌ = __import__('marshal')  # folds
marshal.ｌｏａｄｓ(b'')  # folds
pickle.ｌｏａｄｓ(b'')  # folds
shutil.ʳmtree('/x')  # folds
