x = 1
exec (1)
a͸ = ex�
＿a = _＿
