_＿import＿＿ = 1  # a fullwidth low line may continue a name
