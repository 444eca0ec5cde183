p = 'wodahs/cte/'[::-1]
