# plain-calls.py with its names disguised as Python folds them (NFKC, PEP
# 3131): lines ending in "# folds" must also raise py-unicode-identifier.
import os
import subprocess
import pickle
import shutil
ｅｘｅｃ('x = 1')  # folds
𝐞𝐯𝐚𝐥('1 + 1')  # folds
𝑜𝑠.𝓈𝓎𝓈𝓉ℯ𝓂('id')  # folds
subprocess.ʳun(['id'])  # folds
𝖘𝖚𝖇𝖕𝖗𝖔𝖈𝖊𝖘𝖘.𝙿𝚘𝚙𝚎𝚗('id', shell=True)  # folds
_＿ｉｍｐｏｒｔ＿＿('os').ˢystem('id')  # folds
𝔠𝔬𝔪𝔭𝔦𝔩𝔢('1', 'f', 'eval')  # folds
execﬁle('x.py')  # folds
shutil.copyﬁle('a', 'b')  # folds
ᵖickle.loads(b'')  # folds
𝗀𝖾𝗍𝖺𝗍𝗍𝗋(os, 'system')('id')  # folds
oſ.popen('id')  # folds
ſubproceſſ.check_output(['id'])  # folds
ℯval('1')  # folds
__import__('subprocess').𝓇𝓊𝓃(['id'])  # folds
ś = os.system  # "s" and U+0301: NFKC of the whole name is U+015B
ś('id')
