model.eval()
cursor.execute('select 1')
session.exec(stmt)
