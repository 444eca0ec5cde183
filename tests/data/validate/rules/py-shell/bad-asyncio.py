import asyncio
async def go():
    await asyncio.create_subprocess_shell('id')
