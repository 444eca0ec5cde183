# -*- coding: utf-7 -*-
# Python reads +AGUAeABlAGM- below as exec.
+AGUAeABlAGM-('print(1)')
