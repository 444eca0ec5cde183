x = f"""{a!r:>{w}} {{lit}} {f'{b["k"]}'}
{c
}"""
y = rb"\x00" Rb'\'' u"\N{DASH}\U0001F600"
