#!/usr/bin/env python3
# coding: unicode_escape
# Python reads \x65xec below as exec.
\x65xec('print(1)')
