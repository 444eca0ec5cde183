x = 1
exec ('1')  # a no-break space inside the name: Python refuses the file
